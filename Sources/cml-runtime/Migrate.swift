import CommandSupport
import Runtime

/// `cml-runtime migrate --store URL`: creates or upgrades the runtime's tables in a shared database.
extension CMLRuntime: MigratingProgram {
    /// The runtime's schema.
    static let component = "runtime"

    /// Migrates with `RuntimeSchema`.
    static func migrate(_ connectionString: String) throws -> (from: Int64, to: Int64) {
        do {
            return try RuntimeDatabase.migrate(connectionString)
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
    }
}
