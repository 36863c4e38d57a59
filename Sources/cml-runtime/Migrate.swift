import ArgumentParser
import CommandSupport
import Runtime

/// `cml-runtime migrate --store URL`: creates or upgrades the runtime's tables in a shared database.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Creates or upgrades the runtime's tables in the PostgreSQL database its replicas share.",
        discussion: """
            Applies the schema versions the database lacks, in one transaction; a database already at this \
            runtime's version is left alone, so running it again does nothing. A database newer than this \
            runtime knows is refused. Prints the versions before and after. See docs/scale.md.
            """)

    @Option(help: ArgumentHelp("The PostgreSQL connection string (libpq: postgresql://USER:PASSWORD@HOST:PORT/DATABASE).", valueName: "postgresql://..."))
    var store: StoreLocation

    func validate() throws {
        _ = try StoreMigration.connectionString(store)
    }

    func run() throws {
        let connectionString = try StoreMigration.connectionString(store)
        try StoreMigration.run(component: "runtime") {
            do throws(RuntimeError) {
                return try RuntimeDatabase.migrate(connectionString)
            } catch {
                throw CommandFailure(error.message, cause: error)
            }
        }
    }
}
