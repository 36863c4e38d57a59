import Admission
import Attestation
import ByteKit
import Certifier
import CommandSupport
import Foundation
import OpenSSLKit
import Policy

/// Admissions per second at real `cml-certifier serve` processes (built beside this bench): one on the
/// folder store, then one and two replicas on a PostgreSQL database of the bench's own (`BenchDatabase`),
/// with 8 and 64 clients spread round robin over the replicas. Each admission is the whole exchange, as
/// in the certifier suite (new P-256 key, TLS handshake, nonce, simulated token, verification,
/// appraisal, certificate, audit). Then PostgreSQL's committed transactions per admission, read from
/// `pg_stat_database` around a counted batch.
///
/// Figures: `admissions_per_s` with `store` (0 folder, 1 PostgreSQL), `replicas` and `clients`;
/// `transactions_per_admission` with `replicas`.
struct CertifierReplicasSuite: BenchSuite {
    let name = "certifier-replicas"
    static let clientCounts = [8, 64]
    /// Admissions in the batch whose transactions are counted.
    static let countedAdmissions = 400

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let binaries = Bundle.main.executableURL?.deletingLastPathComponent().path ?? "."
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-replicas-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try CertifierState.initialize(directory: "\(folder)/certifier")
        let platformKey = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        let measurement = SecureRandom.bytes(32)
        let policy = PolicyDocument(
            name: "bench, certifier replicas", roles: ["device": RolePolicy(initialMeasurements: [HexBytes(measurement)])],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [])
        let policyFile = "\(folder)/policy.signed"
        guard FileManager.default.createFile(atPath: policyFile, contents: Data(try SignedPolicy.sign(policy, key: try state.policyKeyInFolder()).bytes)) else {
            throw CommandFailure("certifier-replicas: cannot write \(policyFile)")
        }
        // Each replica has its own copy of the folder (the folder lock is per folder), as on separate hosts.
        for replica in 1...2 {
            try FileManager.default.copyItem(atPath: "\(folder)/certifier", toPath: "\(folder)/replica-\(replica)")
        }
        let clients = try AttestingClients(root: state.policyCertificate, platformKey: platformKey, measurement: measurement)
        let certifier = "\(binaries)/cml-certifier"
        let serve = ["serve", "--policy", policyFile, "--listen", "127.0.0.1:0"]
        StandardError.line(
            "certifier-replicas: note: \(ProcessInfo.processInfo.activeProcessorCount) cores here, shared by the clients, every replica and PostgreSQL; "
                + "two replicas on one machine do not add cores, so they measure the database store's cost, not a second host's gain")

        let folderServer = try ServerProcess(
            certifier, serve + ["--state", "\(folder)/certifier"], log: "\(folder)/certifier-dir.log", ready: "listening on ")
        defer { folderServer.stop() }
        try measure(settings, reporter, clients, ports: [folderServer.port], store: 0)
        folderServer.stop()

        let database = try BenchDatabase()
        defer { database.stop() }
        let migrated = try ProgramRun.run(certifier, ["migrate", "--store", database.connectionString], includeErrors: true)
        guard migrated.status == 0 else { throw CommandFailure("certifier-replicas: cml-certifier migrate failed: \(migrated.output)") }
        var replicas: [ServerProcess] = []
        defer { for replica in replicas { replica.stop() } }
        for count in 1...2 {
            replicas.append(
                try ServerProcess(
                    certifier, serve + ["--state", "\(folder)/replica-\(count)", "--store", database.connectionString],
                    log: "\(folder)/replica-\(count).log", ready: "listening on "))
            let ports = replicas.map(\.port)
            try measure(settings, reporter, clients, ports: ports, store: 1)
            let perAdmission = try transactionsPerAdmission(database, clients, ports: ports)
            StandardError.line("certifier-replicas: postgres, \(count) replicas: \(String(format: "%.2f", perAdmission)) transactions per admission")
            reporter.figure("transactions_per_admission", value: perAdmission, unit: "transactions", parameters: ["replicas": count])
        }
    }

    /// Admissions per second with each client count, the clients spread round robin over `ports`.
    private func measure(
        _ settings: BenchSettings, _ reporter: JSONLinesReporter, _ clients: AttestingClients, ports: [UInt16], store: Int
    ) throws {
        let label = store == 0 ? "folder store" : "postgres, \(ports.count) replicas"
        for count in Self.clientCounts {
            let seconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
                try runConcurrently(count, label: "certifier-replicas") { index in
                    for _ in 0..<repeats { try clients.admit(port: ports[index % ports.count]) }
                }
            }
            let rate = Double(count) / seconds
            StandardError.line("certifier-replicas: \(label), \(count) clients: \(String(format: "%.0f", rate)) admissions/s")
            reporter.figure(
                "admissions_per_s", value: rate, unit: "admissions/s", parameters: ["store": store, "replicas": ports.count, "clients": count])
        }
    }

    /// Committed transactions in the database per admission over a batch of `countedAdmissions` from 8
    /// clients, less the transactions of the count's own reads and of the replicas' revocation polls
    /// (measured over an idle interval of the same length).
    private func transactionsPerAdmission(_ database: BenchDatabase, _ clients: AttestingClients, ports: [UInt16]) throws -> Double {
        // A server session that goes idle within a second of its last report holds its counts back for
        // PostgreSQL's idle interval, 10 s (PGSTAT_IDLE_INTERVAL); a closed session reports at once.
        let settle = 11.0
        Thread.sleep(forTimeInterval: settle)
        let idleStart = try database.committedTransactions()
        let started = ContinuousClock.now
        let perClient = Self.countedAdmissions / 8
        try runConcurrently(8, label: "certifier-replicas") { index in
            for _ in 0..<perClient { try clients.admit(port: ports[index % ports.count]) }
        }
        let elapsed = ContinuousClock.now - started
        Thread.sleep(forTimeInterval: settle)
        let afterBatch = try database.committedTransactions()
        // The same time again with no admissions: the polls and the count's own reads.
        let batchSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        Thread.sleep(forTimeInterval: batchSeconds)
        Thread.sleep(forTimeInterval: settle)
        let afterIdle = try database.committedTransactions()
        let background = afterIdle - afterBatch
        return Double(afterBatch - idleStart - background) / Double(perClient * 8)
    }
}

/// Clients attesting as a device on the simulated platform, each admission with a new key, as the
/// certifier suite's do.
private struct AttestingClients: Sendable {
    let root: Certificate
    let attester: SimulatedAttester
    let client = AdmissionClient(configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(60)))

    init(root: Certificate, platformKey: ECPrivateKey, measurement: [UInt8]) throws {
        self.root = root
        attester = try SimulatedAttester(platformKey: platformKey, measurement: measurement)
    }

    func admit(port: UInt16) throws {
        _ = try client.requestAdmission(
            role: .device, certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: root, attester: attester,
            key: AdmissionClient.makeTLSKey())
    }
}
