import ByteKit
public import Foundation
import PQKit
public import Policy

/// The certifier's store in a PostgreSQL database that any number of replicas of one domain share
/// (docs/scale.md): nonces, admissions and their released secret ids, the audit log, the revocation list,
/// the runtimes' freshness anchors.
///
/// A nonce is single-use across replicas because the database decides: the redemption is one UPDATE
/// that sets `redeemed` only where it is still NULL, so of two replicas redeeming the same nonce exactly
/// one gets the row back. Each replica remembers which nonce it issued to which of its own connections,
/// so clients that send nonce and evidence on one connection need not name the nonce.
public final class PostgresStore: CertifierStore {
    private let pool: PostgresPool
    /// This replica's connections and the nonce each was issued (the database holds the nonces themselves).
    private let issued: NonceStore
    /// The runtimes' freshness anchors, in the same database.
    public let anchors: any FederationAnchors

    /// Opens the store at `connectionString`: connects, and checks that the schema is the version this
    /// certifier knows (run `cml-certifier migrate` first); throws naming the server, never the password.
    public init(connectionString: String) throws(CertifierError) {
        pool = try Self.storeCall { () throws(PostgresError) in try PostgresPool(connectionString) }
        // Every nonce is issued with the policy's lifetime; this one only says how long past its expiry
        // this replica remembers which connection had it.
        issued = NonceStore(lifetime: 300)
        anchors = PostgresAnchorStore(pool: pool)
        try Self.storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in try CertifierSchema.schema.check(connection) }
        }
    }

    /// Creates or upgrades the certifier's tables at `connectionString`; returns the versions before and after.
    public static func migrate(connectionString: String) throws(CertifierError) -> (from: Int64, to: Int64) {
        try storeCall { () throws(PostgresError) in
            let connection = try PostgresConnection(connectionString)
            return try CertifierSchema.schema.migrate(connection)
        }
    }

    /// "PostgreSQL database D as user U on HOST".
    public var description: String { "PostgreSQL \(pool.target)" }

    public var noncesHeld: Int? { nil }

    /// Issues a nonce and stores it, purging nonces that expired more than a lifetime ago.
    public func issueNonce(to owner: UInt64, now: Date, lifetime: TimeInterval) throws(CertifierError) -> NonceStore.Issued {
        let nonce = issued.issue(to: owner, now: now, lifetime: lifetime)
        _ = try storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in
                try connection.execute(
                    """
                    WITH purged AS (DELETE FROM certifier_nonces WHERE expires < $3)
                    INSERT INTO certifier_nonces (nonce, expires) VALUES ($1, $2)
                    """, [.bytes(nonce.nonce), .date(nonce.expires), .date(now - lifetime)])
            }
        }
        return nonce
    }

    /// Redeems `presented`, or the nonce this replica issued to `owner`, in the database: exactly once
    /// across all replicas.
    public func redeemNonce(for owner: UInt64, presented: [UInt8]?, now: Date) throws(CertifierError) -> Result<[UInt8], NonceRefusal> {
        guard let nonce = presented ?? issued.nonce(of: owner) else { return .failure(.unknown) }
        return try storeCall { () throws(PostgresError) -> Result<[UInt8], NonceRefusal> in
            try pool.withConnection { connection throws(PostgresError) -> Result<[UInt8], NonceRefusal> in
                let redeemed = try connection.execute(
                    "UPDATE certifier_nonces SET redeemed = $2 WHERE nonce = $1 AND redeemed IS NULL RETURNING expires",
                    [.bytes(nonce), .date(now)]
                ).rows
                if let row = redeemed.first {
                    let expires = try row.date("expires") ?? .distantPast
                    return now <= expires ? .success(nonce) : .failure(.expired(expires))
                }
                let known = try connection.execute("SELECT 1::int8 AS known FROM certifier_nonces WHERE nonce = $1", [.bytes(nonce)]).rowCount
                return .failure(known > 0 ? .reused : .unknown)
            }
        }
    }

    /// Inserts the entry into the audit table.
    public func append(_ entry: AuditEntry) throws(CertifierError) {
        let line = try entry.jsonBytes()
        try storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in try Self.insert(entry, line: line, connection) }
        }
    }

    /// Inserts the admission (its serial must be new), its released secret ids and its audit entry in one transaction.
    public func recordAdmission(_ entry: AuditEntry, released: [SecretID]) throws(CertifierError) {
        guard let serial = entry.serial else {
            throw CertifierError(.storeFailed, "an admission without a serial cannot be recorded")
        }
        let line = try entry.jsonBytes()
        let expires = entry.expires.flatMap { try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
        let issuedAt = entry.date ?? Date()
        do {
            try pool.transaction { connection throws(PostgresError) in
                try connection.execute(
                    "INSERT INTO certifier_admissions (serial, role, measurement, expires, issued) VALUES ($1, $2, $3, $4, $5)",
                    [.text(serial), .text(entry.role ?? ""), entry.measurement.map { .text($0) } ?? .null, expires.map { .date($0) } ?? .null, .date(issuedAt)])
                for secret in released {
                    try connection.execute(
                        "INSERT INTO certifier_released_secrets (serial, secret, released) VALUES ($1, $2, $3)",
                        [.text(serial), .text(secret.description), .date(issuedAt)])
                }
                try Self.insert(entry, line: line, connection)
            }
        } catch {
            if error.sqlState == PostgresError.uniqueViolation {
                throw CertifierError(.storeFailed, "serial \(serial) was issued already (the store's admissions are unique by serial); nothing recorded", cause: error)
            }
            throw Self.wrap(error)
        }
    }

    /// Reads the audit table from `since` on, in order of commit.
    public func auditEntries(since: Date?) throws(CertifierError) -> [AuditEntry] {
        let rows = try storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in
                try connection.execute(
                    "SELECT entry FROM certifier_audit WHERE $1::timestamptz IS NULL OR time >= $1 ORDER BY id",
                    [since.map { .date($0) } ?? .null]
                ).rows
            }
        }
        return try Self.decode(rows)
    }

    /// The `admitted` rows of the audit table.
    public func issuedAdmissions() throws(CertifierError) -> IssuedAdmissions {
        let rows = try storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in
                try connection.execute("SELECT entry FROM certifier_audit WHERE decision = $1 ORDER BY id", [.text(AuditEntry.Decision.admitted.rawValue)]).rows
            }
        }
        return IssuedAdmissions(entries: try Self.decode(rows))
    }

    /// The list's row, or the empty list.
    public func revocations() throws(CertifierError) -> RevocationList {
        let bytes = try storeCall { () throws(PostgresError) in
            try pool.withConnection { connection throws(PostgresError) in
                try connection.execute("SELECT list FROM certifier_revocations WHERE id = 1").rows.first?.bytes("list")
            }
        }
        guard let bytes else { return RevocationList() }
        return try Self.list(bytes)
    }

    /// Replaces the list's row under its row lock, so two revokers never lose each other's entries.
    @discardableResult
    public func revoke(_ entries: [RevocationList.Entry], now: Date) throws(CertifierError) -> RevocationList {
        let empty = RevocationList().jsonBytes()
        let stored = try storeCall { () throws(PostgresError) -> [UInt8] in
            try pool.transaction { connection throws(PostgresError) -> [UInt8] in
                try connection.execute("INSERT INTO certifier_revocations (id, list) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", [.bytes(empty)])
                let current = try connection.execute("SELECT list FROM certifier_revocations WHERE id = 1 FOR UPDATE").rows.first?.bytes("list") ?? empty
                guard let list = try? RevocationList(json: current) else { return current }
                let fresh = entries.filter { !list.isRevoked(serialHex: $0.serial) }
                guard !fresh.isEmpty else { return current }
                let next = list.adding(fresh, now: now).jsonBytes()
                try connection.execute("UPDATE certifier_revocations SET list = $1 WHERE id = 1", [.bytes(next)])
                return next
            }
        }
        return try Self.list(stored)
    }

    /// Nothing to reopen: the audit log is a table.
    public func reopenAuditLog() {}

    private static func insert(_ entry: AuditEntry, line: [UInt8], _ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute(
            "INSERT INTO certifier_audit (time, decision, entry) VALUES ($1, $2, $3)",
            [.date(entry.date ?? Date()), entry.decision.map { .text($0.rawValue) } ?? .null, .text(String(decoding: line, as: UTF8.self))])
    }

    private static func decode(_ rows: [PostgresRow]) throws(CertifierError) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for row in rows {
            do {
                let text = try row.text("entry") ?? ""
                entries.append(try JSONDecoder().decode(AuditEntry.self, from: Data(text.utf8)))
            } catch {
                throw CertifierError(.storeFailed, "an audit row in the store is not an audit entry: \(error)", cause: error)
            }
        }
        return entries
    }

    private static func list(_ bytes: [UInt8]) throws(CertifierError) -> RevocationList {
        do {
            return try RevocationList(json: bytes)
        } catch {
            throw CertifierError(.revocationListFailed, "the store's revocation list: \(error)", cause: error)
        }
    }

    private func storeCall<T>(_ body: () throws(PostgresError) -> T) throws(CertifierError) -> T {
        try Self.storeCall(body)
    }

    /// Runs `body`, turning a database error into a certifier error naming it.
    private static func storeCall<T>(_ body: () throws(PostgresError) -> T) throws(CertifierError) -> T {
        do {
            return try body()
        } catch {
            throw wrap(error)
        }
    }

    /// The certifier error for `error`: `storeUnavailable` when the database is out of reach for now (it
    /// cannot be reached, or the connection broke), so that the request is answered `unavailable`.
    private static func wrap(_ error: PostgresError) -> CertifierError {
        let code: CertifierError.Code
        if error.isUnavailable {
            code = .storeUnavailable
        } else {
            code = error.code == .schemaMismatch ? .storeSchema : .storeFailed
        }
        return CertifierError(code, error.description, cause: error)
    }
}
