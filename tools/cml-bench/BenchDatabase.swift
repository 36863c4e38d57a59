import ByteKit
import CommandSupport
import PQKit
import TestSupport

/// A throwaway PostgreSQL cluster of the bench's own (the tests' `TestPostgres`: initdb and pg_ctl in a
/// temporary folder, as the postgres user when root, but with fsync on), for the suites that measure the
/// database store.
final class BenchDatabase: Sendable {
    /// The cluster; `stop()` removes it.
    let cluster: TestPostgres
    /// A fresh database's libpq connection string (unix socket in the cluster's folder).
    let connectionString: String
    private let cleanup: Int

    /// Starts a cluster and makes a fresh database on it.
    init() throws {
        // fsync on: the figures include each commit's flush of the write-ahead log, as in production.
        let cluster = try TestPostgres.dedicated(durable: true)
        self.cluster = cluster
        cleanup = BenchChildren.onSignal { cluster.remove() }
        do {
            connectionString = try cluster.freshDatabase()
        } catch {
            BenchChildren.forget(cleanup)
            cluster.remove()
            throw error
        }
    }

    /// Transactions committed in the bench's database so far (`pg_stat_database.xact_commit`): the
    /// difference across a measured step is its transaction count. Other sessions report theirs when idle,
    /// within about a second (PostgreSQL 15's cumulative statistics): let the servers idle that long first.
    func committedTransactions() throws -> Int64 {
        let connection = try PostgresConnection(connectionString)
        try connection.execute("SELECT pg_stat_force_next_flush()")
        let row = try connection.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").rows.first
        return try row?.int("xact_commit") ?? 0
    }

    /// The PostgreSQL server's process id (the postmaster, whose children are the backends).
    func serverProcess() throws -> Int32 {
        let path = "\(cluster.folder)/data/postmaster.pid"
        let text = try FileBytes.readText(path, limit: FileSizeLimit(bytes: 4096, kind: "a postmaster.pid file"))
        guard let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) else { throw CommandFailure("no process id in \(path)") }
        return pid
    }

    /// Stops the cluster and removes its folder.
    func stop() {
        BenchChildren.forget(cleanup)
        cluster.remove()
    }
}
