import ArgumentParser
import Certifier
import CommandSupport

/// `cml-certifier migrate --store URL`: creates or upgrades the certifier's tables in a shared database.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Creates or upgrades the certifier's tables in the PostgreSQL database its replicas share.",
        discussion: """
            Applies the schema versions the database lacks, in one transaction each run; a database already at \
            this certifier's version is left alone, so running it again does nothing. A database newer than this \
            certifier knows is refused. Prints the versions before and after. See docs/scale.md.
            """)

    @Option(help: ArgumentHelp("The PostgreSQL connection string (libpq: postgresql://USER:PASSWORD@HOST:PORT/DATABASE).", valueName: "postgresql://..."))
    var store: StoreLocation

    func validate() throws {
        _ = try StoreMigration.connectionString(store)
    }

    func run() throws {
        let connectionString = try StoreMigration.connectionString(store)
        try StoreMigration.run(component: "certifier") {
            do throws(CertifierError) {
                return try PostgresStore.migrate(connectionString: connectionString)
            } catch {
                throw CommandFailure(error.message, cause: error)
            }
        }
    }
}
