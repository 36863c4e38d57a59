import PQKit
import TestSupport

/// A throwaway PostgreSQL cluster of the bench's own (the tests' `TestPostgres`: initdb and pg_ctl in a
/// temporary folder, as the postgres user when root), for the suites that measure the database store.
final class BenchDatabase: Sendable {
    /// The cluster; `stop()` removes it.
    let cluster: TestPostgres
    /// A fresh database's libpq connection string (unix socket in the cluster's folder).
    let connectionString: String
    private let cleanup: Int

    /// Starts a cluster and makes a fresh database on it.
    init() throws {
        let cluster = try TestPostgres.dedicated()
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

    /// Stops the cluster and removes its folder.
    func stop() {
        BenchChildren.forget(cleanup)
        cluster.remove()
    }
}
