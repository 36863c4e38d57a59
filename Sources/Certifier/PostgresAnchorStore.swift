import ByteKit
import PQKit
public import Protocol
import Synchronization

/// Runtimes' freshness anchors in the database that certifier replicas share: one row per federation,
/// advanced by a serializable transaction, so that two replicas advancing one federation at once cannot
/// both win (the loser's transaction runs again and finds the winner's anchor).
///
/// The row is the database host's: whoever runs PostgreSQL can put an older row back, which the anchor
/// exists to detect. So each replica remembers the newest anchor of each federation it read or wrote, and
/// refuses a row older than that (or of that version with another digest, or gone): a rollback under a
/// live replica is refused, never served. One restarted after the rollback cannot tell (docs/scale.md).
public final class PostgresAnchorStore: FederationAnchors {
    private let pool: PostgresPool
    /// The newest anchor of each federation this replica has read or written.
    private let seen = Mutex<[String: AnchorState]>([:])

    /// The anchors in the database of `pool`.
    init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Reads the federation's row.
    public func read(federation: String) throws(CertifierError) -> AnchorState? {
        let stored: AnchorState?
        do {
            stored = try pool.withConnection { connection throws(PostgresError) in
                try Self.load(federation, connection)
            }
        } catch {
            throw CertifierError(Self.code(error), "cannot read the anchor of federation \"\(federation)\": \(error)", cause: error)
        }
        try check(stored, of: federation)
        return stored
    }

    /// Refuses `stored` if it is older than the newest anchor of `federation` this replica has seen;
    /// remembers it otherwise.
    private func check(_ stored: AnchorState?, of federation: String) throws(CertifierError) {
        let rollback = seen.withLock { seen -> String? in
            guard let newest = seen[federation] else {
                if let stored { seen[federation] = stored }
                return nil
            }
            guard let stored else { return "the database holds no anchor of federation \"\(federation)\"" }
            if stored.version < newest.version || (stored.version == newest.version && stored.digest != newest.digest) {
                return "the database holds version \(stored.version) (digest \(Hex.short(stored.digest))) of federation \"\(federation)\"'s anchor"
            }
            seen[federation] = stored
            return nil
        }
        guard let rollback else { return }
        let newest = seen.withLock { $0[federation] }
        throw CertifierError(
            .anchorStoreFailed,
            "\(rollback), but this certifier replica saw version \(newest?.version ?? 0) (digest \(Hex.short(newest?.digest ?? []))): "
                + "the row was rolled back or deleted in the database; refusing it")
    }

    /// Compares and swaps the federation's row in one serializable transaction.
    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorStore.AdvanceError) -> Bool {
        let outcome: Result<Bool, AnchorStore.AdvanceError>
        do {
            outcome = try pool.transaction(.serializable) { connection throws(PostgresError) -> Result<Bool, AnchorStore.AdvanceError> in
                let stored = try Self.load(federation, connection)
                do throws(CertifierError) {
                    try check(stored, of: federation)
                } catch {
                    return .failure(.failed(error))
                }
                switch AnchorState.decide(stored: stored, from: from, to: to) {
                case .alreadyThere:
                    return .success(false)
                case .conflict(let reason):
                    return .failure(.conflict(reason))
                case .apply:
                    try connection.execute(
                        """
                        INSERT INTO certifier_anchors (federation, version, digest) VALUES ($1, $2, $3)
                        ON CONFLICT (federation) DO UPDATE SET version = excluded.version, digest = excluded.digest
                        """, [.text(federation), .int(Int64(bitPattern: to.version)), .bytes(to.digest)])
                    return .success(stored == nil)
                }
            }
        } catch {
            throw .failed(CertifierError(Self.code(error), "cannot write the anchor of federation \"\(federation)\": \(error)", cause: error))
        }
        if case .success = outcome { seen.withLock { $0[federation] = to } }
        return try outcome.get()
    }

    /// `storeUnavailable` when the database is out of reach for now (answered `unavailable`), else `anchorStoreFailed`.
    private static func code(_ error: PostgresError) -> CertifierError.Code {
        error.isUnavailable ? .storeUnavailable : .anchorStoreFailed
    }

    private static func load(_ federation: String, _ connection: PostgresConnection) throws(PostgresError) -> AnchorState? {
        guard let row = try connection.execute("SELECT version, digest FROM certifier_anchors WHERE federation = $1", [.text(federation)]).rows.first
        else { return nil }
        // The version is stored as int8 with the bits of the unsigned counter.
        return AnchorState(version: UInt64(bitPattern: try row.int("version") ?? 0), digest: try row.bytes("digest") ?? [])
    }
}
