internal import CLibPQ
import Glibc

/// One connection to a PostgreSQL server (libpq's PGconn, closed in deinit), running parameterised
/// statements only.
///
/// A lost connection is noticed (PQstatus) and the statement fails with `.connectionLost`; the next use
/// outside a transaction connects again with the same string. Calls block the calling thread, which
/// suits the servers' worker threads.
///
/// `@unchecked Sendable`: it may move between threads (a `PostgresPool` hands it to one thread at a
/// time), which libpq allows; it must never be used by two threads at once, which the pool ensures.
public final class PostgresConnection: @unchecked Sendable {
    /// Where it connects, for messages (never the password).
    public let target: PostgresTarget
    private let connectionString: String
    private var handle: OpaquePointer?
    /// True between BEGIN and COMMIT or ROLLBACK: a connection lost then is not silently replaced, or
    /// the rest of the transaction would run outside one.
    private var inTransaction = false
    /// Set when the server said it is ending this session (shutting down, crashed): the handle may still
    /// read as connected, but the next use must connect again.
    private var ended = false

    /// Connects to the server `connectionString` names; throws naming the server (never the password)
    /// if the string is not valid, the server cannot be reached, or it refuses the login.
    public init(_ connectionString: String) throws(PostgresError) {
        self.target = try PostgresTarget(connectionString)
        self.connectionString = connectionString
        try connect()
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Whether the connection is open and usable as far as libpq knows.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process serving this connection (for `pg_terminate_backend` in tests and logs).
    public var backendProcessID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    private func connect() throws(PostgresError) {
        if let handle { PQfinish(handle) }
        handle = nil
        ended = false
        // The defaults first and the connection string (expanded as "dbname") after, so its own settings win.
        let keywords = Self.defaults.map(\.keyword) + ["dbname"]
        let values = Self.defaults.map(\.value) + [connectionString]
        let opened = Self.withCStrings(keywords) { keywords in
            Self.withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let fresh = opened else {
            throw PostgresError(.connectFailed, "cannot connect to PostgreSQL \(target): out of memory")
        }
        guard PQstatus(fresh) == CONNECTION_OK else {
            let reason = target.redacting(String(cString: PQerrorMessage(fresh)).trimmingTrailingNewlines)
            PQfinish(fresh)
            throw PostgresError(.connectFailed, "cannot connect to PostgreSQL \(target): \(reason)")
        }
        // libpq prints the server's notices (e.g. "relation ... already exists, skipping") on standard
        // error by default; a statement's outcome is in its result, so they are dropped.
        PQsetNoticeProcessor(fresh, { _, _ in }, nil)
        handle = fresh
    }

    /// What a connection string does not set, libpq gets from these: a database host that drops packets
    /// (a partition, a pulled cable) fails a connection attempt within 10 s and a statement within about
    /// 20 s, instead of after TCP's own timeouts (minutes), so that a server answers `unavailable` and its
    /// session's locks go. Unix sockets ignore them.
    static let defaults: [(keyword: String, value: String)] = [
        ("connect_timeout", "10"), ("tcp_user_timeout", "20000"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
    ]

    /// The value libpq uses for connection option `keyword` (e.g. "connect_timeout"), once connected.
    public func option(_ keyword: String) -> String? {
        guard let handle, let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// Calls `body` with `strings` as a NULL-terminated array of C strings, valid during the call.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
    }

    /// The open handle, connecting again first if the connection was lost (outside a transaction).
    private func usableHandle() throws(PostgresError) -> OpaquePointer {
        if let handle, PQstatus(handle) == CONNECTION_OK, !ended { return handle }
        guard !inTransaction else {
            throw PostgresError(.connectionLost, "the connection to PostgreSQL \(target) was lost in the middle of a transaction")
        }
        try connect()
        guard let handle else { throw PostgresError(.connectFailed, "cannot connect to PostgreSQL \(target)") }
        return handle
    }

    /// Marks an idle connection for a new one at its next use if the server closed it meanwhile (it was
    /// stopped or restarted): reads what waits on the socket without blocking (libpq's socket is
    /// non-blocking). A pool calls it before lending a connection it kept, so that the first statement
    /// after a database restart does not fail on a connection that was dead before it was sent.
    func noticeClosedByServer() {
        guard let handle, !inTransaction, !ended else { return }
        if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK { ended = true }
    }

    /// Runs `sql` with `parameters` bound to `$1`, `$2`, ... (never spliced into the text) and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        let handle = try usableHandle()
        let wire = parameters.map(\.binary)
        let types = parameters.map { Oid($0.typeOID) }
        let lengths = wire.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: parameters.count)
        // Each parameter's bytes must stay valid during the call: copy them into buffers freed after it.
        let buffers: [UnsafeMutablePointer<CChar>?] = wire.map { bytes in
            guard let bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
            }
            return buffer
        }
        defer { for buffer in buffers { buffer?.deallocate() } }
        let result = buffers.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQexecParams(handle, sql, Int32(parameters.count), types, values.baseAddress, lengths, formats, 1)
        }
        guard let result else {
            throw failure(nil, handle: handle)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(takingOwnership: result)
        default:
            defer { PQclear(result) }
            throw failure(result, handle: handle)
        }
    }

    /// The error for a failed statement: a lost connection, or the server's message and SQLSTATE.
    private func failure(_ result: OpaquePointer?, handle: OpaquePointer) -> PostgresError {
        let sqlState = result.flatMap { PQresultErrorField($0, CLibPQ_PG_DIAG_SQLSTATE()) }.map { String(cString: $0) }
        let message = result.map { String(cString: PQresultErrorMessage($0)) } ?? String(cString: PQerrorMessage(handle))
        let reason = target.redacting(message.trimmingTrailingNewlines)
        // A failure with no SQLSTATE is libpq's own: the server went away mid-statement ("server closed the
        // connection unexpectedly"), sometimes while the handle still reads as connected.
        if PQstatus(handle) != CONNECTION_OK || sqlState == nil || PostgresError.endsSession(sqlState) {
            ended = true
            return PostgresError(.connectionLost, "the connection to PostgreSQL \(target) was lost: \(reason)", sqlState: sqlState)
        }
        return PostgresError(.statementFailed, "PostgreSQL \(target): \(reason)", sqlState: sqlState)
    }

    /// How a transaction sees concurrent ones.
    public enum Isolation: String, Sendable {
        /// Each statement sees what was committed before it began.
        case readCommitted = "READ COMMITTED"
        /// As if transactions ran one after another; a conflict fails one with SQLSTATE 40001.
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction at `isolation` and commits; rolls back if `body` throws. A
    /// serialization failure or deadlock runs the whole transaction again, up to `attempts` times in all,
    /// so `body` must do nothing outside the database that it cannot repeat.
    public func transaction<T>(
        _ isolation: Isolation = .readCommitted, attempts: Int = 5, _ body: (PostgresConnection) throws(PostgresError) -> T
    ) throws(PostgresError) -> T {
        var attempt = 1
        var reconnected = false
        while true {
            do {
                try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
                inTransaction = true
                let value = try body(self)
                try execute("COMMIT")
                inTransaction = false
                return value
            } catch {
                // A connection the server closed while it sat idle (a restart) fails at BEGIN, before anything
                // of the transaction ran: connect again and begin once more.
                if !inTransaction, error.code == .connectionLost, !reconnected {
                    reconnected = true
                    continue
                }
                if inTransaction {
                    inTransaction = false
                    // A lost connection rolled back by itself; otherwise end the failed transaction here.
                    if isConnected { _ = try? execute("ROLLBACK") }
                }
                guard error.isRetryable, attempt < attempts else { throw error }
                attempt += 1
            }
        }
    }
}
