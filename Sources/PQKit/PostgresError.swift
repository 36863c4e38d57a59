/// A failed PostgreSQL operation: what kind of failure, the server's SQLSTATE when it sent one, and a
/// message naming the server (never the password).
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is, for a program to switch on; the message is for people.
    public enum Code: String, Sendable, Equatable {
        /// The connection string does not parse.
        case invalidConnectionString = "invalid-connection-string"
        /// The server could not be reached, or refused the login.
        case connectFailed = "connect-failed"
        /// The connection broke (server gone, killed backend); the next use connects again.
        case connectionLost = "connection-lost"
        /// The server refused or failed a statement; `sqlState` says why.
        case statementFailed = "statement-failed"
        /// The database's schema is older or newer than the program knows.
        case schemaMismatch = "schema-mismatch"
        /// A result's value is not of the type asked for, or a row or column is missing.
        case unexpectedResult = "unexpected-result"
    }

    /// What kind of failure it is.
    public let code: Code
    /// The server's five-character SQLSTATE (e.g. "42601", a syntax error), when it sent one.
    public let sqlState: String?
    /// What went wrong, naming the server.
    public let message: String

    /// An error of `code` saying `message`, with the server's `sqlState` if any.
    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// The message, with the SQLSTATE when there is one.
    public var description: String {
        sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message
    }

    /// SQLSTATE 40001, a serializable transaction that lost to a concurrent one.
    public static let serializationFailure = "40001"
    /// SQLSTATE 40P01, a deadlock the server broke by failing this transaction.
    public static let deadlockDetected = "40P01"
    /// SQLSTATE 23505, a unique constraint that a row broke.
    public static let uniqueViolation = "23505"

    /// Whether the server is out of reach for now (it could not be reached, or the connection broke): a
    /// caller answers "unavailable, try again" rather than a wrong answer, and the next use connects again.
    public var isUnavailable: Bool { code == .connectFailed || code == .connectionLost }

    /// Whether a statement's SQLSTATE says the server ended the session: class 08 (connection exception),
    /// 57P01 to 57P03 (shut down by the administrator, after a crash, or not accepting connections yet).
    static func endsSession(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// Whether running the whole transaction again may succeed: a serialization failure or a deadlock.
    public var isRetryable: Bool {
        sqlState == Self.serializationFailure || sqlState == Self.deadlockDetected
    }
}
