import PQKit
public import Protocol

/// Runtimes' freshness anchors in the database that certifier replicas share: one row per federation,
/// advanced by a serializable transaction, so that two replicas advancing one federation at once cannot
/// both win (the loser's transaction runs again and finds the winner's anchor).
///
/// The row is the database host's: whoever runs PostgreSQL can put an older row back, which the anchor
/// exists to detect (docs/scale.md says what this store does and does not protect).
public final class PostgresAnchorStore: FederationAnchors {
    private let pool: PostgresPool

    /// The anchors in the database of `pool`.
    init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Reads the federation's row.
    public func read(federation: String) throws(CertifierError) -> AnchorState? {
        do {
            return try pool.withConnection { connection throws(PostgresError) in
                try Self.load(federation, connection)
            }
        } catch {
            throw CertifierError(Self.code(error), "cannot read the anchor of federation \"\(federation)\": \(error)", cause: error)
        }
    }

    /// Compares and swaps the federation's row in one serializable transaction.
    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorStore.AdvanceError) -> Bool {
        let outcome: Result<Bool, AnchorStore.AdvanceError>
        do {
            outcome = try pool.transaction(.serializable) { connection throws(PostgresError) -> Result<Bool, AnchorStore.AdvanceError> in
                let stored = try Self.load(federation, connection)
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
