import ByteKit
public import Channel
import Foundation
public import Logging
import OpenSSLKit
public import PQKit
import Protocol
import Synchronization
public import WordModel

/// ML mode's model shared by runtime replicas through PostgreSQL (docs/scale.md, "ML mode on the
/// database"): one `runtime_models` row per federation holds the current model, sealed
/// (`SealedModelRow`), and its training serial.
///
/// One change at a time per federation across replicas: a change takes a session advisory lock keyed
/// by the federation, reads the row (loading the model if another replica moved it on), runs the
/// training or upload on it, writes serial + 1 (a compare-and-swap on the old serial and digest),
/// commits, advances the freshness anchor, and only then releases the lock and answers. `get-model`
/// reads the row's serial and digest with every request and loads the model only when the serial moved on.
///
/// The database is the host's: this replica remembers the newest (serial, digest) it has seen, and a
/// row older than that, or of the same serial with another digest, is refused as a rollback (answered
/// `unavailable`, logged as an error), never served or trained on. Across restarts the certifier's
/// freshness anchor holds (serial, digest): at start the row must be the anchored one, or one change
/// ahead of it whose `previous` digest is the anchored one.
public final class SharedModelStore: ModelKeeper {
    /// The federation (the policy's federation id): every query filters by it.
    public let federation: String
    /// This replica's name, bound into the rows it writes.
    public let replica: String
    private let pool: PostgresPool
    private let rows: SealedRow
    private let anchor: (any FreshnessAnchor)?
    private let logger: Logger
    /// The advisory lock of this federation's changes.
    private let lockKey: Int64
    private let held: Mutex<Held>

    /// The newest row this replica has seen, opened, and what it knows the anchor holds.
    private struct Held: Sendable {
        var serial: UInt64
        var digest: [UInt8]
        var previous: [UInt8]
        var model: ModelBlob?
        var validation: ValidationSet?
        var anchored: AnchorState?

        var state: AnchorState { AnchorState(version: serial, digest: digest) }
    }

    /// A row's serial and digest as the database holds them, and the row itself when its serial is newer
    /// than the one asked about.
    private struct Peek {
        let serial: UInt64
        let digest: [UInt8]
        let row: SealedModelRow?
    }

    /// Opens the model of `federation` in the database of `pool` for replica `replica`, its rows sealed
    /// under a key derived from `sealingSecret`, checked against `anchor` (nil: unchecked, `--unanchored`),
    /// waiting at most `patience` for an unreachable anchor.
    ///
    /// Throws, naming both, if the row is neither the anchored state nor one change ahead of it; naming the
    /// row if it does not open; `store-failed` if the database cannot be reached or holds another schema version.
    public init(
        pool: PostgresPool, federation: String, replica: String, sealingSecret: [UInt8], anchor: (any FreshnessAnchor)?, logger: Logger,
        patience: Duration = .zero
    ) throws(RuntimeError) {
        let rows = try SealedRow(sealingSecret: sealingSecret)
        let peek: Peek?
        do {
            peek = try pool.withConnection { connection throws(PostgresError) in
                try RuntimeSchema.schema.check(connection)
                return try Self.peek(connection, federation: federation, after: nil)
            }
        } catch {
            throw RuntimeError(.storeFailed, "cannot read the model of federation \"\(federation)\" from \(pool.target): \(error)", cause: error)
        }
        var held = Held(serial: 0, digest: SealedModelRow.emptyDigest(federation: federation), previous: [])
        if let peek {
            let opened = try Self.open(peek, rows: rows)
            held = Held(serial: peek.serial, digest: peek.digest, previous: opened.previous, model: opened.model, validation: opened.validation)
        }
        if let anchor {
            let stored = try AnchoredState.read(anchor: anchor, federation: federation, logger: logger, patience: patience)
            held.anchored = try Self.checkAtStart(held, stored: stored, federation: federation, anchor: anchor, logger: logger)
        }
        self.federation = federation
        self.replica = replica
        self.pool = pool
        self.rows = rows
        self.anchor = anchor
        self.logger = logger
        self.lockKey = Self.lockKey(federation: federation)
        self.held = Mutex(held)
    }

    /// Opens it as `init(pool:...)` does, on a pool of connections to `connectionString` (a libpq
    /// connection string); throws `store-failed` naming the server (never the password) if it cannot connect.
    public convenience init(
        connectionString: String, federation: String, replica: String, sealingSecret: [UInt8], anchor: (any FreshnessAnchor)?, logger: Logger,
        patience: Duration = .zero
    ) throws(RuntimeError) {
        let pool: PostgresPool
        do {
            pool = try PostgresPool(connectionString)
        } catch {
            throw RuntimeError(.storeFailed, "cannot open the runtime's store: \(error)", cause: error)
        }
        try self.init(
            pool: pool, federation: federation, replica: replica, sealingSecret: sealingSecret, anchor: anchor, logger: logger, patience: patience)
    }

    /// The model this replica holds now (the newest it has seen).
    public var current: ModelBlob? { held.withLock { $0.model } }

    /// The validation list held with it.
    public var validation: ValidationSet? { held.withLock { $0.validation } }

    /// "PostgreSQL database D as user U on HOST", for messages (never the password).
    public var location: String { "PostgreSQL \(pool.target)" }

    /// The training serial of the newest row this replica has seen (0: no model yet).
    public var serial: UInt64 { held.withLock { $0.serial } }

    /// The newest committed model: reads the row's serial and digest, loads the row when its serial moved
    /// on; refuses a rolled-back or altered row with `unavailable`, naming it. A row is served only once the
    /// anchor holds it (or holds the change before it, and is advanced now): a row that opens but was never
    /// anchored (a write whose commit failed, kept by the host) is never served; `unavailable` while the
    /// anchor is out of reach.
    public func newest() throws(ChannelError) -> ModelBlob? {
        let known = held.withLock { $0.serial }
        let peek = try withConnection { connection throws(ChannelError) in
            try call { () throws(PostgresError) in try Self.peek(connection, federation: federation, after: known) }
        }
        let accepted = try accept(peek)
        try catchUpAnchor(to: accepted)
        return accepted.model
    }

    /// Runs `make` on the newest committed model under the federation's lock, writes its result as
    /// serial + 1, advances the anchor, and returns once all that is done (no ticket to wait for).
    public func change<Value>(
        _ what: String, _ make: (_ current: ModelBlob?, _ validation: ValidationSet?) throws(ChannelError) -> ModelChange<Value>
    ) throws(ChannelError) -> (value: Value, ticket: UInt64?) {
        try withConnection { connection throws(ChannelError) in
            // A session lock, not a transaction's: the anchor advance after the commit must be inside it too,
            // or two replicas' advances could arrive in the wrong order. A lost session drops it; the write's
            // compare-and-swap below then still lets only one change take each serial.
            _ = try call { () throws(PostgresError) in try connection.execute("SELECT pg_advisory_lock($1)", [.int(lockKey)]) }
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [.int(lockKey)]) }
            let known = held.withLock { $0.serial }
            let peek = try call { () throws(PostgresError) in try Self.peek(connection, federation: federation, after: known) }
            let base = try accept(peek)
            try catchUpAnchor(to: base)
            let made = try make(base.model, base.validation)
            let list = made.validation ?? base.validation
            guard base.serial < UInt64(Int64.max) else {
                throw ChannelError(.internal, "the training serial of federation \"\(federation)\" is at its maximum, \(base.serial)")
            }
            let row: SealedModelRow
            do throws(RuntimeError) {
                row = try SealedModelRow(
                    model: made.model, validation: list, federation: federation, serial: base.serial + 1, replica: replica, previous: base.digest,
                    rows: rows)
            } catch {
                throw ChannelError(.internal, "the runtime could not store \(what): \(error.message)", cause: error)
            }
            let written = try call { () throws(PostgresError) in try Self.write(row, over: base.serial, connection) }
            guard written else {
                let reason =
                    "the model row of federation \"\(federation)\" is no longer serial \(base.serial) (digest \(Hex.short(base.digest))) although this "
                    + "replica holds the federation's lock: it was written around the replicas; \(what) is not stored"
                logger.error("\(reason)")
                throw ChannelError(.unavailable, reason)
            }
            held.withLock { held in
                guard held.serial < row.serial else { return }
                held = Held(
                    serial: row.serial, digest: row.digest, previous: base.digest, model: made.model, validation: list, anchored: held.anchored)
            }
            try advanceAnchor(from: base.state, to: AnchorState(version: row.serial, digest: row.digest), what: what)
            return (made.value, nil)
        }
    }

    /// Nothing to wait for: `change` returns once committed and anchored.
    public func awaitAcknowledged(_ ticket: UInt64?) throws(ChannelError) {}

    // MARK: Freshness

    /// The row in `peek` checked against the newest this replica has seen, and held if newer; throws
    /// `unavailable` naming a rollback, a deletion or an altered row.
    private func accept(_ peek: Peek?) throws(ChannelError) -> Held {
        guard let peek else {
            let seen = held.withLock { $0 }
            guard seen.serial == 0 else {
                throw refuse(
                    "the database holds no model row for federation \"\(federation)\", but this replica has seen serial \(seen.serial) "
                        + "(digest \(Hex.short(seen.digest))): the row was deleted or rolled back; refusing to serve or train on it")
            }
            return seen
        }
        var opened: (model: ModelBlob, validation: ValidationSet?, previous: [UInt8])?
        if peek.row != nil {
            do {
                opened = try Self.open(peek, rows: rows)
            } catch {
                throw refuse(error.message)
            }
        }
        let outcome = held.withLock { held -> Result<Held, ChannelError> in
            if peek.serial < held.serial {
                return .failure(
                    refusal(
                        "the database holds serial \(peek.serial) (digest \(Hex.short(peek.digest))) of federation \"\(federation)\", older than "
                            + "serial \(held.serial) (digest \(Hex.short(held.digest))) that this replica has seen: the row was rolled back; "
                            + "refusing to serve or train on it"))
            }
            if peek.serial == held.serial {
                guard peek.digest == held.digest else {
                    return .failure(
                        refusal(
                            "the database holds serial \(peek.serial) of federation \"\(federation)\" with digest \(Hex.short(peek.digest)), but this "
                                + "replica has seen serial \(held.serial) with digest \(Hex.short(held.digest)): the row was replaced; refusing to serve or train on it"))
                }
                return .success(held)
            }
            guard let opened else {
                return .failure(ChannelError(.internal, "serial \(peek.serial) of federation \"\(federation)\" was read without its model"))
            }
            held = Held(
                serial: peek.serial, digest: peek.digest, previous: opened.previous, model: opened.model, validation: opened.validation,
                anchored: held.anchored)
            return .success(held)
        }
        if case .failure(let error) = outcome { logger.error("\(error.message)") }
        return try outcome.get()
    }

    /// Makes sure the anchor holds `base` before a change on it: it does after this replica's or another's
    /// anchored change; after a change whose advance failed it holds the state before, which is advanced
    /// now (the row's `previous` ties them). Anything else is refused.
    private func catchUpAnchor(to base: Held) throws(ChannelError) {
        guard let anchor else { return }
        let expected = base.state
        if held.withLock({ $0.anchored }) == expected { return }
        let stored: AnchorState?
        do {
            stored = try anchor.read(federation: federation)
        } catch {
            throw ChannelError(.unavailable, "cannot read the freshness anchor at \(anchor.location): \(error); try again later")
        }
        if stored == expected {
            held.withLock { $0.anchored = expected }
            return
        }
        if let stored, base.serial >= 1, stored.version == base.serial - 1, stored.digest == base.previous {
            try advanceAnchor(from: stored, to: expected, what: "the model of serial \(base.serial)")
            return
        }
        throw refuse(
            "the database holds serial \(base.serial) (digest \(Hex.short(base.digest))) of federation \"\(federation)\", but \(anchor.location) "
                + "anchors \(stored.map { "\($0)" } ?? "nothing"): the row is neither the anchored state nor one change ahead of it "
                + "(rolled back, or written by another store); refusing to train on it")
    }

    /// Advances the anchor from `from` to `to` after a committed change; throws `unavailable` if it cannot
    /// (the change is stored, and the next change anchors it, but it may not be acknowledged now).
    private func advanceAnchor(from: AnchorState, to: AnchorState, what: String) throws(ChannelError) {
        guard let anchor else { return }
        do {
            try anchor.advance(federation: federation, from: from, to: to)
        } catch {
            let reason = "\(what) is stored as serial \(to.version) but could not be anchored at \(anchor.location): \(error); it is not acknowledged, send it again later"
            logger.error("\(reason)")
            throw ChannelError(.unavailable, reason)
        }
        held.withLock { held in
            if (held.anchored?.version ?? 0) <= to.version { held.anchored = to }
        }
    }

    /// The error for a refused row, logged.
    private func refuse(_ reason: String) -> ChannelError {
        logger.error("\(reason)")
        return refusal(reason)
    }

    private func refusal(_ reason: String) -> ChannelError {
        ChannelError(.unavailable, reason)
    }

    /// The anchor this replica starts from: the row must be the anchored state, or one change ahead of it
    /// (a change whose advance failed), which is anchored now if the anchor can be reached.
    private static func checkAtStart(
        _ held: Held, stored: AnchorState?, federation: String, anchor: any FreshnessAnchor, logger: Logger
    ) throws(RuntimeError) -> AnchorState? {
        let row = held.serial == 0 ? "no model row" : "serial \(held.serial) (digest \(Hex.short(held.digest)))"
        guard let stored else {
            guard held.serial == 0 else {
                throw RuntimeError(
                    .staleState, "the database holds \(row) of federation \"\(federation)\", but \(anchor.location) holds no anchor for it: "
                        + "a model that was never anchored is not trusted; refusing to start")
            }
            do {
                try anchor.advance(federation: federation, from: nil, to: held.state)
            } catch {
                throw RuntimeError(.anchorUnavailable, "cannot create the anchor of federation \"\(federation)\" at \(anchor.location): \(error)", cause: error)
            }
            logger.info("new federation \"\(federation)\": anchored serial 0 at \(anchor.location)")
            return held.state
        }
        if stored == held.state {
            logger.info("the model in the database matches the anchor at \(anchor.location): serial \(held.serial)")
            return stored
        }
        if held.serial >= 1, stored.version == held.serial - 1, stored.digest == held.previous {
            do {
                try anchor.advance(federation: federation, from: stored, to: held.state)
                logger.info("the model in the database was one change ahead of the anchor at \(anchor.location); anchored serial \(held.serial) now")
                return held.state
            } catch {
                logger.warning("the model in the database is one change ahead of the anchor (\(stored)); the next change anchors it: \(error)")
                return stored
            }
        }
        throw RuntimeError(
            .staleState, "the database holds \(row) of federation \"\(federation)\", but \(anchor.location) anchors \(stored): the row is neither "
                + "the anchored state nor one change ahead of it (rolled back, deleted, or written by another store). Refusing to start: serving it "
                + "would roll back acknowledged changes")
    }

    // MARK: Database

    /// The row's serial and digest, with the row itself when its serial is above `after` (nil: always).
    private static func peek(_ connection: PostgresConnection, federation: String, after: UInt64?) throws(PostgresError) -> Peek? {
        let above = after.map { Int64(clamping: $0) } ?? -1
        let rows = try connection.execute(
            """
            SELECT serial, digest, previous, replica, CASE WHEN serial > $2 THEN sealed END AS sealed
            FROM runtime_models WHERE federation = $1
            """, [.text(federation), .int(above)]
        ).rows
        guard let row = rows.first else { return nil }
        let number = try row.int("serial") ?? -1
        guard let serial = UInt64(exactly: number) else {
            throw PostgresError(.unexpectedResult, "the model row of federation \"\(federation)\" has serial \(number), not a training serial")
        }
        let digest = try row.bytes("digest") ?? []
        guard let sealed = try row.bytes("sealed") else { return Peek(serial: serial, digest: digest, row: nil) }
        let read = SealedModelRow(
            federation: federation, serial: serial, replica: try row.text("replica") ?? "", previous: try row.bytes("previous") ?? [],
            sealed: sealed)
        return Peek(serial: serial, digest: digest, row: read)
    }

    /// The model in the row of `peek`, refused (naming the row) unless its digest column is the digest of
    /// its sealed bytes and it opens.
    private static func open(_ peek: Peek, rows: SealedRow) throws(RuntimeError) -> (model: ModelBlob, validation: ValidationSet?, previous: [UInt8]) {
        guard let row = peek.row else {
            throw RuntimeError(.sealedFileCorrupt, "serial \(peek.serial) was read without its model")
        }
        guard row.digest == peek.digest else {
            throw RuntimeError(
                .sealedFileCorrupt, "\(row.place): refused: its digest column (\(Hex.short(peek.digest))) is not the digest of "
                    + "its sealed model (\(Hex.short(row.digest))), so it was altered in the database; not using it")
        }
        let opened = try row.open(rows)
        return (opened.model, opened.validation, row.previous)
    }

    /// Writes `row` in place of serial `base` (an insert for the first); false if the row is not at `base`.
    private static func write(_ row: SealedModelRow, over base: UInt64, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        let values: [PostgresValue] = [
            .text(row.federation), .int(Int64(clamping: row.serial)), .bytes(row.sealed), .bytes(row.digest), .bytes(row.previous), .text(row.replica),
        ]
        if base == 0 {
            return try connection.execute(
                """
                INSERT INTO runtime_models (federation, serial, sealed, digest, previous, replica) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (federation) DO NOTHING RETURNING serial
                """, values
            ).rowCount == 1
        }
        return try connection.execute(
            """
            UPDATE runtime_models SET serial = $2, sealed = $3, digest = $4, previous = $5, replica = $6
            WHERE federation = $1 AND serial = $7 AND digest = $5 RETURNING serial
            """, values + [.int(Int64(clamping: base))]
        ).rowCount == 1
    }

    /// The advisory lock key of `federation`'s changes: the first 8 bytes of a SHA-256 of its id, the same
    /// in every replica.
    private static func lockKey(federation: String) -> Int64 {
        let hash = Digest.sha256.hash(Array("cml runtime_models \(federation)".utf8))
        return Int64(bitPattern: hash.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Runs `body` on a connection of the pool no other thread uses meanwhile.
    private func withConnection<T>(_ body: (PostgresConnection) throws(ChannelError) -> T) throws(ChannelError) -> T {
        var outcome: Result<T, ChannelError>?
        do {
            try pool.withConnection { connection throws(PostgresError) in
                outcome = Result { () throws(ChannelError) in try body(connection) }
            }
        } catch {
            throw failure(error)
        }
        guard let outcome else { throw ChannelError(.internal, "the model database gave no outcome") }
        return try outcome.get()
    }

    /// Runs one database call, its failure as a channel error.
    private func call<T>(_ body: () throws(PostgresError) -> T) throws(ChannelError) -> T {
        do {
            return try body()
        } catch {
            throw failure(error)
        }
    }

    /// `unavailable` when the database is out of reach (the next use connects again), `internal` otherwise.
    private func failure(_ error: PostgresError) -> ChannelError {
        if error.isUnavailable {
            logger.warning("the model database is unavailable: \(error)")
            return ChannelError(.unavailable, "the runtime's model database is unavailable: \(error); try again later", cause: error)
        }
        logger.error("the model database failed: \(error)")
        return ChannelError(.internal, "the runtime's model database failed: \(error)", cause: error)
    }
}
