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
        guard case .postgres = store else {
            throw ValidationError("--store dir needs no migration (the state folder has no schema); give a PostgreSQL connection string")
        }
    }

    func run() throws {
        guard case .postgres(let connectionString) = store else { return }
        do {
            let (from, to) = try RuntimeDatabase.migrate(connectionString)
            if from == to {
                StandardOutput.line("the runtime schema is at version \(to) already; nothing to do")
            } else {
                StandardOutput.line("migrated the runtime schema from version \(from) to \(to)")
            }
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
    }
}
