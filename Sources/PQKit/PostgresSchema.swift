/// A versioned schema in a database: an ordered list of migrations, version N being the first N applied,
/// recorded per component in the `schema_version` table, so that several components (the certifier,
/// later the runtime) can share one database.
///
/// `migrate` is idempotent (a second run finds the version current and does nothing) and safe to run
/// from two processes at once (they take the table's lock in turn); `check` refuses a database whose
/// version is not the one this program knows.
public struct PostgresSchema: Sendable {
    /// The component whose tables these are, e.g. "certifier".
    public let component: String
    /// What to run for each version, in order: `migrations[0]` makes version 1. Each is a list of
    /// statements, run in one transaction with the version's record.
    public let migrations: [[String]]
    /// The command that migrates, for messages (e.g. "cml-certifier migrate --store URL").
    public let migrateCommand: String

    /// The schema of `component` made by `migrations`, migrated by `migrateCommand`.
    public init(component: String, migrations: [[String]], migrateCommand: String) {
        self.component = component
        self.migrations = migrations
        self.migrateCommand = migrateCommand
    }

    /// The version this program knows: the number of migrations.
    public var version: Int64 { Int64(migrations.count) }

    /// The version the database holds (0 when it holds none).
    public func storedVersion(_ connection: PostgresConnection) throws(PostgresError) -> Int64 {
        let exists = try connection.execute("SELECT to_regclass('schema_version') IS NOT NULL AS present").rows.first?.bool("present") ?? false
        guard exists else { return 0 }
        return try connection.execute("SELECT version FROM schema_version WHERE component = $1", [.text(component)]).rows.first?.int("version") ?? 0
    }

    /// Brings the database to `version`, applying the migrations it lacks; returns the versions before
    /// and after. Throws `.schemaMismatch` if the database is newer than this program knows.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws(PostgresError) -> (from: Int64, to: Int64) {
        try connection.transaction { connection throws(PostgresError) in
            try connection.execute("CREATE TABLE IF NOT EXISTS schema_version (component text PRIMARY KEY, version int8 NOT NULL)")
            // One migrator at a time: a second waits here, then finds the version current.
            try connection.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            let stored = try storedVersion(connection)
            guard stored <= version else { throw newer(stored, connection: connection) }
            for index in Int(stored)..<migrations.count {
                for statement in migrations[index] { try connection.execute(statement) }
            }
            try connection.execute(
                "INSERT INTO schema_version (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                [.text(component), .int(version)])
            return (stored, version)
        }
    }

    /// Throws `.schemaMismatch`, naming both versions and the fix, unless the database holds exactly `version`.
    public func check(_ connection: PostgresConnection) throws(PostgresError) {
        let stored = try storedVersion(connection)
        if stored > version { throw newer(stored, connection: connection) }
        if stored < version {
            let what = stored == 0 ? "holds no \(component) schema" : "holds \(component) schema version \(stored), older than version \(version)"
            throw PostgresError(
                .schemaMismatch,
                "\(connection.target) \(what), which this program uses: run `\(migrateCommand)` first")
        }
    }

    private func newer(_ stored: Int64, connection: PostgresConnection) -> PostgresError {
        PostgresError(
            .schemaMismatch,
            "\(connection.target) holds \(component) schema version \(stored), newer than version \(version), which this program knows: "
                + "use the newer release that migrated it (a downgrade cannot read its tables)")
    }
}
