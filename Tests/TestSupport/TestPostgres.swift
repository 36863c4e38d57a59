import Foundation
import Glibc
public import PQKit

/// A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` in a temporary folder, listening on
/// a unix socket in that folder only (no TCP port), password login, removed when the test process exits.
///
/// One cluster per test process, started on first use; each test takes a fresh database of its own
/// (`freshDatabase()`). When the tests run as root, the cluster runs as the `postgres` user (PostgreSQL
/// refuses to run as root) and the folder is that user's. Nothing depends on a server the machine runs.
public final class TestPostgres: Sendable {
    /// The cluster's folder (data, socket, log).
    public let folder: String
    /// The superuser's password (the cluster's only login).
    public let password: String
    private let binaries: String
    private let asPostgres: Bool
    /// The server's settings: its socket folder, and a TCP address only when one was asked for.
    private let options: String
    /// What every cluster command runs under (e.g. `ip netns exec HOST`, for a server in a network namespace).
    private let commandPrefix: [String]

    /// The superuser's name.
    public static let user = "postgres"

    /// The shared cluster, or why it could not start.
    private static let started: Result<TestPostgres, TestPostgresError> = {
        do {
            let cluster = try TestPostgres()
            atexit { TestPostgres.stopShared() }
            return .success(cluster)
        } catch let error as TestPostgresError {
            return .failure(error)
        } catch {
            return .failure(TestPostgresError(message: "\(error)"))
        }
    }()

    /// Whether the postgres tests must run (and fail if the cluster cannot start): `CML_REQUIRE_POSTGRES=1`, as tools/test sets.
    public static var required: Bool { ProcessInfo.processInfo.environment["CML_REQUIRE_POSTGRES"] == "1" }

    /// Whether the postgres tests should run: the cluster started, or it is required (so they fail saying why).
    public static var enabled: Bool {
        if required { return true }
        if case .failure(let error) = started {
            FileHandle.standardError.write(Data("skipping the PostgreSQL tests: \(error.message)\n".utf8))
            return false
        }
        return true
    }

    /// The shared cluster; throws why it could not start.
    public static func shared() throws -> TestPostgres {
        try started.get()
    }

    /// A cluster of the caller's own, for a test that stops and starts the server (never stop the shared
    /// one: other tests use it at the same time); `remove()` it at the end. `commandPrefix` (an absolute
    /// program path first) runs every cluster command under another, e.g. `/usr/sbin/ip netns exec db` so
    /// that the server lives in that network namespace and listens on its `address`. With `durable`, the
    /// server flushes its write-ahead log at each commit (fsync on, as in production; the tests' clusters
    /// run with fsync off), for a bench that measures commits.
    public static func dedicated(listen address: String? = nil, commandPrefix: [String] = [], durable: Bool = false) throws -> TestPostgres {
        try TestPostgres(listen: address, commandPrefix: commandPrefix, durable: durable)
    }

    /// Stops the server at once (as a crash or a pulled cable would); the data stays.
    public func stopServer() throws {
        try run("pg_ctl", ["-D", "\(folder)/data", "-m", "immediate", "-w", "stop"])
    }

    /// Starts the stopped server again, on the same socket (and address) as before.
    public func startServer() throws {
        try run("pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/log", "-w", "-t", "60", "start", "-o", options])
    }

    /// Stops a dedicated cluster and removes its folder.
    public func remove() {
        try? run("pg_ctl", ["-D", "\(folder)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A connection string for a new, empty database on this cluster.
    public func freshDatabase() throws -> String {
        let name = "test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        let admin = try PostgresConnection(connectionString(database: "postgres"))
        // CREATE DATABASE takes no parameters; the name is made here of [a-z0-9_] only.
        try admin.execute("CREATE DATABASE \(name)")
        return connectionString(database: name)
    }

    /// A connection string for a new, empty database on the shared cluster.
    public static func freshDatabase() throws -> String {
        try shared().freshDatabase()
    }

    /// The libpq connection string of `database` on this cluster over TCP at `host` (an address it listens on).
    public func connectionString(database: String, host: String, port: Int = 5432) -> String {
        "postgresql://\(Self.user):\(password)@\(host):\(port)/\(database)"
    }

    /// The libpq connection string of `database` on this cluster, in URL form.
    public func connectionString(database: String, password: String? = nil) -> String {
        let encodedFolder = folder.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? folder
        return "postgresql://\(Self.user):\(password ?? self.password)@/\(database)?host=\(encodedFolder)"
    }

    private init(listen address: String? = nil, commandPrefix: [String] = [], durable: Bool = false) throws {
        guard let binaries = Self.findBinaries() else {
            throw TestPostgresError(message: "no initdb under /usr/lib/postgresql/*/bin (install Debian's postgresql: tools/setup does)")
        }
        self.binaries = binaries
        asPostgres = geteuid() == 0
        self.commandPrefix = commandPrefix
        let template = "/tmp/cml-pg-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw TestPostgresError(message: "cannot make a temporary folder: errno \(errno)") }
        folder = String(cString: made)
        password = UUID().uuidString
        options = "-c listen_addresses='\(address ?? "")' -c unix_socket_directories='\(folder)' -c fsync=\(durable ? "on" : "off") -c max_connections=200"
        if asPostgres {
            guard let entry = getpwnam(Self.user) else {
                throw TestPostgresError(message: "running as root, but there is no \(Self.user) user to run PostgreSQL as")
            }
            guard chown(folder, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw TestPostgresError(message: "cannot give \(folder) to the \(Self.user) user: errno \(errno)")
            }
        }
        let passwordFile = "\(folder)/password"
        try password.write(toFile: passwordFile, atomically: false, encoding: .utf8)
        if asPostgres, let entry = getpwnam(Self.user) { chown(passwordFile, entry.pointee.pw_uid, entry.pointee.pw_gid) }
        try run(
            "initdb", ["-D", "\(folder)/data", "-U", Self.user, "--auth=scram-sha-256", "--pwfile=\(passwordFile)", "--no-sync", "-E", "UTF8"])
        unlink(passwordFile)
        if address != nil {
            // initdb's pg_hba.conf lets in loopback only; a cluster asked to listen on an address is for other hosts (namespaces).
            let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(folder)/data/pg_hba.conf"))
            try hba.seekToEnd()
            try hba.write(contentsOf: Data("host all all 0.0.0.0/0 scram-sha-256\n".utf8))
            try hba.close()
        }
        try startServer()
    }

    /// Stops the shared cluster at once and removes its folder (at process exit).
    static func stopShared() {
        guard case .success(let cluster) = started else { return }
        try? cluster.run("pg_ctl", ["-D", "\(cluster.folder)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: cluster.folder)
    }

    /// Runs the cluster binary `tool` (as the postgres user when root); throws with its output if it fails.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process: the server that `pg_ctl start` leaves
    /// running inherits the descriptor Process watches for the child's end, so Process never sees it.
    private func run(_ tool: String, _ arguments: [String]) throws {
        let command = commandPrefix
            + (asPostgres ? ["/usr/sbin/runuser", "-u", Self.user, "--", "\(binaries)/\(tool)"] + arguments : ["\(binaries)/\(tool)"] + arguments)
        let outputPath = "\(folder)/\(tool).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw TestPostgresError(message: "cannot run \(command[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS are macros: exited normally when the low 7 bits are 0, code in the next 8.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let log = (try? String(contentsOfFile: "\(folder)/log", encoding: .utf8)) ?? ""
            throw TestPostgresError(message: "\(tool) failed (wait status \(status)): \(text)\(log)")
        }
    }

    /// The newest PostgreSQL's binaries folder Debian installed (/usr/lib/postgresql/VERSION/bin).
    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }
}

/// Why the test cluster could not start.
public struct TestPostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the tool's output.
    public let message: String
    /// The message.
    public var description: String { message }
}
