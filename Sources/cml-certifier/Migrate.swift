import Certifier
import CommandSupport

/// `cml-certifier migrate --store URL`: creates or upgrades the certifier's tables in a shared database.
extension CMLCertifier: MigratingProgram {
    /// The certifier's schema.
    static let component = "certifier"

    /// Migrates with `CertifierSchema`.
    static func migrate(_ connectionString: String) throws -> (from: Int64, to: Int64) {
        do {
            return try PostgresStore.migrate(connectionString: connectionString)
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
    }
}
