import ArgumentParser

/// What `cml-certifier migrate` and `cml-runtime migrate` share: the store they take must be a database,
/// and they print what they did in the same words.
public enum StoreMigration {
    /// The connection string of `store`; a usage error for `dir`, which has no schema.
    public static func connectionString(_ store: StoreLocation) throws -> String {
        guard case .postgres(let connectionString) = store else {
            throw ValidationError("--store dir needs no migration (the state folder has no schema); give a PostgreSQL connection string")
        }
        return connectionString
    }

    /// Runs `migrate` (the versions before and after) and prints what it did to the schema of `component`.
    public static func run(component: String, _ migrate: () throws -> (from: Int64, to: Int64)) throws {
        let (from, to) = try migrate()
        if from == to {
            StandardOutput.line("the \(component) schema is at version \(to) already; nothing to do")
        } else {
            StandardOutput.line("migrated the \(component) schema from version \(from) to \(to)")
        }
    }
}
