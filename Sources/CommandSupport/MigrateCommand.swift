public import ArgumentParser

/// A program whose servers keep their state in a shared database with a versioned schema.
public protocol MigratingProgram {
    /// Whose schema it is, e.g. "certifier", as the messages name it.
    static var component: String { get }
    /// Brings the schema at `connectionString` to this program's version; the versions before and after.
    /// Throws a `CommandFailure` naming the server (never the password).
    static func migrate(_ connectionString: String) throws -> (from: Int64, to: Int64)
}

/// `migrate --store URL`, the same for every program with a shared database (docs/scale.md).
public struct MigrateCommand<Program: MigratingProgram>: ParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "migrate",
            abstract: "Creates or upgrades the \(Program.component)'s tables in the PostgreSQL database its replicas share.",
            discussion: """
                Applies the schema versions the database lacks, in one transaction each run; a database already at \
                this \(Program.component)'s version is left alone, so running it again does nothing. A database newer than this \
                \(Program.component) knows is refused. Prints the versions before and after. See docs/scale.md.
                """)
    }

    @Option(help: ArgumentHelp("The PostgreSQL connection string (libpq: postgresql://USER:PASSWORD@HOST:PORT/DATABASE).", valueName: "postgresql://..."))
    var store: StoreLocation

    /// The command as ArgumentParser makes it.
    public init() {}

    public func validate() throws {
        _ = try connectionString()
    }

    public func run() throws {
        let (from, to) = try Program.migrate(try connectionString())
        if from == to {
            StandardOutput.line("the \(Program.component) schema is at version \(to) already; nothing to do")
        } else {
            StandardOutput.line("migrated the \(Program.component) schema from version \(from) to \(to)")
        }
    }

    private func connectionString() throws -> String {
        guard case .postgres(let connectionString) = store else {
            throw ValidationError("--store dir needs no migration (the state folder has no schema); give a PostgreSQL connection string")
        }
        return connectionString
    }
}
