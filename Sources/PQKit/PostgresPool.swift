import Synchronization

/// Connections to one server shared by threads: each call borrows one connection for itself alone, and
/// gives it back after; a connection is made when none is idle, and at most `maximumIdle` are kept.
public final class PostgresPool: Sendable {
    /// Where it connects, for messages (never the password).
    public let target: PostgresTarget
    /// The most idle connections kept open.
    public let maximumIdle: Int
    private let connectionString: String
    private let idle: Mutex<[PostgresConnection]>

    /// A pool for `connectionString`; connects once, so that a wrong string or a refused login fails here.
    public init(_ connectionString: String, maximumIdle: Int = 8) throws(PostgresError) {
        let first = try PostgresConnection(connectionString)
        self.target = first.target
        self.connectionString = connectionString
        self.maximumIdle = max(1, maximumIdle)
        self.idle = Mutex([first])
    }

    /// Runs `body` with a connection no other thread uses meanwhile.
    public func withConnection<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        let connection: PostgresConnection
        if let borrowed = idle.withLock({ $0.popLast() }) {
            borrowed.noticeClosedByServer()
            connection = borrowed
        } else {
            connection = try PostgresConnection(connectionString)
        }
        defer {
            idle.withLock { idle in
                if idle.count < maximumIdle { idle.append(connection) }
            }
        }
        return try body(connection)
    }

    /// Runs `body` in a transaction on a borrowed connection (see `PostgresConnection.transaction`).
    public func transaction<T>(
        _ isolation: PostgresConnection.Isolation = .readCommitted, attempts: Int = 5, _ body: (PostgresConnection) throws(PostgresError) -> T
    ) throws(PostgresError) -> T {
        try withConnection { connection throws(PostgresError) in try connection.transaction(isolation, attempts: attempts, body) }
    }
}
