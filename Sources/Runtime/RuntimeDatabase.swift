public import PQKit

/// The PostgreSQL database runtime replicas share (`--store postgresql://...`, docs/scale.md): opened
/// only at the schema version this program knows, migrated by `cml-runtime migrate`.
public enum RuntimeDatabase {
    /// Connects to `connectionString` and checks the runtime's schema; throws naming the server (never
    /// the password), or naming both versions and `cml-runtime migrate --store URL`.
    public static func open(_ connectionString: String) throws(RuntimeError) -> PostgresPool {
        try call { () throws(PostgresError) in
            let pool = try PostgresPool(connectionString)
            try pool.withConnection { connection throws(PostgresError) in try RuntimeSchema.schema.check(connection) }
            return pool
        }
    }

    /// Creates or upgrades the runtime's tables at `connectionString`; the versions before and after.
    public static func migrate(_ connectionString: String) throws(RuntimeError) -> (from: Int64, to: Int64) {
        try call { () throws(PostgresError) in try RuntimeSchema.schema.migrate(try PostgresConnection(connectionString)) }
    }

    private static func call<T>(_ body: () throws(PostgresError) -> T) throws(RuntimeError) -> T {
        do {
            return try body()
        } catch {
            throw RuntimeError(.storeFailed, error.description, cause: error)
        }
    }
}
