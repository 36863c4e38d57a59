public import ArgumentParser

/// A `--store` argument: `dir` (the state folder, the default) or a libpq connection string
/// (`postgresql://USER:PASSWORD@HOST:PORT/DATABASE`, `postgres://...`, or `host=... dbname=...`).
public enum StoreLocation: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    /// The role's state folder.
    case directory
    /// A PostgreSQL database, by its libpq connection string.
    case postgres(String)

    /// Reads `dir` or a connection string; nil (a usage error naming the option) for anything else.
    public init?(argument: String) {
        if argument == "dir" {
            self = .directory
        } else if argument.hasPrefix("postgresql://") || argument.hasPrefix("postgres://") || argument.contains("=") {
            self = .postgres(argument)
        } else {
            return nil
        }
    }

    /// "dir", or "postgres" (never the connection string: it may hold a password).
    public var description: String {
        switch self {
        case .directory: "dir"
        case .postgres: "postgres"
        }
    }

    /// How `--help` shows the value.
    public static var defaultValueDescription: String { "dir|postgresql://..." }
}
