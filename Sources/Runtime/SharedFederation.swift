import ByteKit
public import Channel
import CBORKit
import Dispatch
public import Foundation
public import Logging
import OpenSSLKit
public import PQKit
public import Protocol
import Synchronization
public import WordModel

/// Federated rounds kept in a PostgreSQL database that any number of runtime replicas of one federation
/// share (`--store postgresql://...`, docs/scale.md).
///
/// The federation's row holds the open round and its sealed global model; each accepted update is a
/// sealed row keyed by its voice (`SealedRow`). An update is acknowledged only after its row commits,
/// under a share lock of the federation row, so it either lands before a close takes that row's update
/// lock (and is aggregated) or sees the next round. A round closes once: whichever replica takes the
/// row lock first aggregates; a loser finds the round moved on and serves the winner's global model.
/// Every replica polls the federation row, answers its waiting devices with each new global model once
/// it is verified and anchored, and refuses a row older than one it has seen (the database is the host's).
public final class SharedFederation: RoundService {
    /// The terms of the rounds, from the policy.
    public let rules: FederationRules
    /// The global models this replica has published, for status and metrics.
    public let history: ModelHistory
    /// Measures each global model on the provider's validation list.
    public let validation: ModelValidation
    /// The policy's federation id: every query is filtered by it.
    public let federation: String
    /// This replica's name, in logs, rows and their associated data.
    public let replica: String

    /// A global model as a federation row holds it, opened and checked.
    struct Global: Sendable {
        let round: UInt64
        /// SHA-256 of the sealed blob: what the anchor and the next round's `previous` name.
        let digest: [UInt8]
        let previous: [UInt8]?
        let openedAt: Date
        let model: ModelBlob
        let validation: ValidationSet?
        /// The keyed voices aggregated into it (none for round 0).
        let voices: [[UInt8]]
        let replica: String
    }

    private struct Live: Sendable {
        /// The newest global model read and opened (the freshness floor: nothing older is accepted).
        var verified: Global?
        /// The newest one anchored: the one devices are served.
        var published: Global?
        /// The open round's updates in the database, as last counted.
        var count = 0
        /// This replica's acknowledged updates of round `acknowledgedRound`: keyed voice -> (model id, device).
        var acknowledged: [[UInt8]: (id: String, device: String)] = [:]
        var acknowledgedRound: UInt64 = 0
        /// Why devices are answered `unavailable` now (a rollback, a refused row); nil: serving.
        var refusal: String?
        /// Global models refused for leaving out updates this replica acknowledged, by digest, with why:
        /// refused for as long as the database holds them.
        var rejected: [[UInt8]: String] = [:]
        /// Whether the database is out of reach, as last seen.
        var outage = false
        var stopping = false
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private struct Waiter: Sendable {
        let round: UInt64
        let answer: @Sendable (Result<ModelReply, ChannelError>) -> Void
    }

    private static let globalKind = "fl-global"
    private static let updateKind = "fl-update"

    private let pool: PostgresPool
    private let rows: SealedRow
    private let anchor: (any FreshnessAnchor)?
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let pollInterval: Duration
    private let state = Mutex(Live())
    /// One refresh at a time (the poller, an update that found a newer row, a lost close).
    private let refreshing = Mutex(())
    /// One close attempt at a time in this replica (a second caller checks again after the first, so a
    /// round made due meanwhile is not missed); replicas serialize on the row lock.
    private let closing = Mutex(())
    /// The last error logged by `complain`, so a poll does not repeat it every 200 ms.
    private let lastComplaint = Mutex<String?>(nil)
    private let poller = DispatchQueue(label: "shared rounds poller")

    /// The federation `federation` in the database of `pool` (schema checked: `RuntimeDatabase.open`),
    /// sealed under `sealingSecret`, written as `replica`. Checks the federation row against `anchor` (nil:
    /// unanchored): it must be the anchored round and digest, or one round ahead of it with `previous` the
    /// anchored digest (then the anchor advances); anything else is refused (`stale-state`), as is a
    /// policy with `fl.privacy` (its sampling decisions are not shared yet) and a row that fails to open.
    /// Starts polling the row every `pollInterval`.
    public init(
        pool: PostgresPool, federation: String, replica: String, sealingSecret: [UInt8], rules: FederationRules,
        anchor: (any FreshnessAnchor)?, logger: Logger, history: ModelHistory = ModelHistory(),
        clock: @escaping @Sendable () -> Date = { Date() }, pollInterval: Duration = .milliseconds(200)
    ) throws(RuntimeError) {
        if rules.privacy != nil {
            throw RuntimeError(
                .policyUnusable,
                "the policy sets fl.privacy, which the database store does not serve yet: its Poisson sampling decisions and privacy "
                    + "accounting are not shared between replicas; serve this policy with --store dir (docs/scale.md)")
        }
        self.pool = pool
        self.federation = federation
        self.replica = replica
        self.rules = rules
        self.history = history
        validation = ModelValidation(history: history, logger: logger)
        rows = try SealedRow(sealingSecret: sealingSecret)
        self.anchor = anchor
        self.logger = logger
        self.clock = clock
        self.pollInterval = pollInterval
        // A replica closing a round between the row's read and the anchor's finds the anchor one ahead:
        // read both again before refusing.
        var found: Global?
        for attempt in 1...3 {
            do {
                found = try loadRow()
            } catch let error as PostgresError {
                throw RuntimeError(.storeFailed, "cannot read federation \"\(federation)\" from the database: \(error)", cause: error)
            } catch let error as RuntimeError {
                throw error
            } catch {
                throw RuntimeError(.storeFailed, "\(error)", cause: error)
            }
            do throws(AnchorFailure) {
                try anchorCheck(found)
                break
            } catch {
                guard case .conflict = error else {
                    throw RuntimeError(.anchorUnavailable, "federation \"\(federation)\": the anchor cannot be read or advanced: \(error)", cause: error)
                }
                if attempt < 3 { continue }
                throw RuntimeError(.staleState, "federation \"\(federation)\": \(error)", cause: error)
            }
        }
        state.withLock { live in
            live.verified = found
            live.published = found
            live.acknowledgedRound = found?.round ?? 0
        }
        RuntimeMetrics.federationRules(minUpdates: rules.minUpdates, quorum: rules.quorum)
        logger.info("federated rounds under the policy's rule: \(rules); kept in \(pool.target) as replica \(replica)")
        if let found {
            logger.info("serving round \(found.round) of federation \"\(federation)\" (global model \(found.model.shortID), closed by replica \(found.replica))")
            RuntimeMetrics.openRound(found.round, deadline: found.openedAt + rules.deadline.inSeconds, updates: 0)
        }
        schedulePoll()
    }

    // MARK: What devices and the provider ask

    /// The open round as this replica serves it (0 before the provider's model).
    public var round: UInt64 { state.withLock { $0.published?.round ?? 0 } }

    /// The served round, with the updates every replica stored for it as last counted.
    public var status: RoundStatus {
        state.withLock { live in
            RoundStatus(
                round: live.published?.round ?? 0, global: live.published?.model, updates: live.count,
                deadline: (live.published?.openedAt ?? Date(timeIntervalSince1970: 0)) + rules.deadline.inSeconds, isClosing: false)
        }
    }

    /// The provider's validation list, sealed with every global model; nil if it gave none.
    public var validationList: ValidationSet? { state.withLock { $0.published?.validation } }

    /// Devices waiting for a global model of this replica.
    public var waitingDevices: Int { state.withLock { $0.waiters.count } }

    /// The newest global model this replica verified and anchored; `unavailable` while it refuses the
    /// database's row (a rollback), `no-model` before the provider sent one.
    public func currentGlobal() throws(ChannelError) -> ModelReply {
        readFirstModel()
        return try state.withLock { (live) throws(ChannelError) -> ModelReply in
            if let refusal = live.refusal { throw Self.unavailable(refusal) }
            guard let published = live.published else {
                if live.verified != nil { throw Self.unavailable("the initial global model is stored but not anchored yet") }
                throw ChannelError.noModelYet
            }
            return ModelReply(blob: published.model, round: published.round)
        }
    }

    /// Makes the model in `blob` the global model of round 0 of the shared federation, sealed with `list`,
    /// once: the same model sent again (a lost acknowledgement, another replica) is acknowledged again,
    /// another one refused (`wrong-round`). Answers once it is committed and anchored (else `unavailable`).
    public func setInitial(_ blob: [UInt8], validation list: ValidationSet?) throws(ChannelError) -> ModelBlob {
        let stored = try ModelBlob(received: blob)
        let now = clock()
        let global: Global
        let sealed: [UInt8]
        do throws(RuntimeError) {
            (global, sealed) = try sealGlobal(round: 0, openedAt: now, model: stored, validation: list, voices: [], previous: nil)
        } catch {
            throw ChannelError(.internal, "the runtime could not seal the model: \(error.message)", cause: error)
        }
        // Only a replica that has verified no global model may write round 0: one that has must not take a
        // missing row (deleted by the host) for a new federation, which would lower its freshness floor.
        let known = state.withLock { $0.verified != nil }
        var inserted = false
        if !known {
            inserted = try database { connection throws(PostgresError) -> Bool in
                try connection.execute(
                    """
                    INSERT INTO runtime_federations (federation, round, opened, global, digest, previous, replica)
                    VALUES ($1, 0, $2, $3, $4, NULL, $5) ON CONFLICT (federation) DO NOTHING
                    """, [.text(federation), .date(now), .bytes(sealed), .bytes(global.digest), .text(replica)]
                ).affectedRows == 1
            }
        }
        if inserted {
            state.withLock { live in
                live.verified = global
                live.acknowledgedRound = 0
                live.acknowledged = [:]
            }
        } else {
            refresh()
        }
        if let refusal = state.withLock({ $0.refusal }) { throw Self.unavailable(refusal) }
        let current = state.withLock { $0.verified }
        guard let current, current.round == 0, current.model.id == stored.id else {
            let where_ = current.map { "it is at round \($0.round) with model \($0.model.shortID)" } ?? "its row could not be read"
            throw ChannelError(
                .wrongRound,
                "put-model sets the initial global model (round 0) of federation \"\(federation)\" once, and another was set: \(where_). "
                    + "To start a new federation, use a policy with a new federation id")
        }
        try publishIfAnchored(current)
        if inserted {
            history.append(
                ModelRecord(round: 0, modelID: stored.shortID, updates: 0, samples: stored.model.samples, rule: "upload", milliseconds: 0, madeAt: now))
        }
        return stored
    }

    /// Stores `update` of device `serial` (platform `platform`) as a sealed row of its round, counted once
    /// per voice across replicas, and returns the acknowledgement once committed. Refusals as
    /// `Federation.update`, plus `unavailable` when the database is out of reach or its row is refused.
    public func update(_ update: UpdateRequest, from serial: String, platform: [UInt8]? = nil) throws(ChannelError) -> UpdateAck {
        try rules.check(update)
        let platformHex = try rules.countedPlatform(serial: serial, platform: platform)
        let stored = try ModelBlob(received: update.model)
        if let refusal = state.withLock({ $0.refusal }) { throw Self.unavailable(refusal) }
        let voice = rows.voice(RoundState(rules: rules).voice(serial: serial, platform: platformHex), federation: federation)
        var record = SealedRecord(
            kind: Self.updateKind,
            fields: ["round": .unsigned(update.round), "serial": .text(serial), "samples": .unsigned(update.samples), "model": .bytes(stored.bytes)])
        if let platformHex { record.set("platform", .text(platformHex)) }
        if let loss = update.loss { record.set("loss", .float(loss)) }
        let sealed: [UInt8]
        do throws(RuntimeError) {
            sealed = try rows.seal(record.bytes, at: place(.update, round: update.round, voice: voice, replica: replica))
        } catch {
            throw ChannelError(.internal, "the runtime could not seal the update: \(error.message)", cause: error)
        }
        let device = String(serial.prefix(8))
        readFirstModel()
        for attempt in 1...2 {
            guard let (expected, anchored) = state.withLock({ live in live.verified.map { ($0, live.published?.digest == $0.digest) } }) else {
                throw ChannelError.noModelYet
            }
            // Acknowledged only into a round whose global model is anchored: a round the anchor never took (a
            // fork the host made, or one it can still roll back whole) would lose the update with it.
            guard anchored else { throw Self.unavailable("the global model of round \(expected.round) is not anchored yet") }
            let outcome = try database { connection throws(PostgresError) -> UpdateOutcome in
                // Shares the row lock a close takes for update: this insert lands before the close, or sees the next round.
                guard let row = try connection.execute(
                    "SELECT round, digest FROM runtime_federations WHERE federation = $1 FOR SHARE", [.text(federation)]
                ).rows.first else { return .stale(nil) }
                let round = UInt64(try row.int("round") ?? -1)
                guard round == expected.round, try row.bytes("digest") == expected.digest else { return .stale(round) }
                guard round == update.round else { return .wrongRound(round) }
                let inserted = try connection.execute(
                    """
                    INSERT INTO runtime_updates (federation, round, voice, kind, replica, sealed) VALUES ($1, $2, $3, 'update', $4, $5)
                    ON CONFLICT (federation, round, voice) DO NOTHING
                    """, [.text(federation), .int(Int64(round)), .bytes(voice), .text(replica), .bytes(sealed)]
                ).affectedRows
                if inserted == 1 { return .stored }
                let earlier = try connection.execute(
                    "SELECT replica, sealed FROM runtime_updates WHERE federation = $1 AND round = $2 AND voice = $3",
                    [.text(federation), .int(Int64(round)), .bytes(voice)]
                ).rows.first
                return .existing(replica: try earlier?.text("replica") ?? "", sealed: try earlier?.bytes("sealed") ?? [])
            }
            switch outcome {
            case .stored:
                let (counted, lost) = state.withLock { live -> (Int, Global?) in
                    if live.acknowledgedRound == update.round {
                        live.acknowledged[voice] = (stored.id, device)
                        live.count += 1
                        return (live.count, nil)
                    }
                    // The round closed and its global model was read while this answer was on its way: it must hold this update.
                    if let next = live.verified, next.round == update.round + 1, !next.voices.contains(voice) { return (live.count, next) }
                    return (live.count, nil)
                }
                if let lost {
                    refuse(
                        rejecting: lost.digest,
                        "the global model of round \(lost.round) (closed by replica \(lost.replica)) leaves out update \(stored.shortID) of device \(device), "
                            + "which this replica committed: rows deleted or rolled back; not serving it")
                    throw Self.unavailable("the federation's rows were changed under this replica")
                }
                RuntimeMetrics.roundUpdates(counted)
                logger.info(
                    "update \(stored.shortID) from device \(device) for round \(update.round) (\(update.samples) samples) committed: about \(counted) of \(rules.minUpdates)")
                return UpdateAck(round: update.round, id: stored.id)
            case .existing(let writer, let earlier):
                let earlierID: String
                do throws(RuntimeError) {
                    let bytes = try rows.open(earlier, at: place(.update, round: update.round, voice: voice, replica: writer))
                    earlierID = try SealedRecord(bytes: bytes, kind: Self.updateKind, path: "the update row of round \(update.round)").model("model").id
                } catch {
                    complain(error.message)
                    throw ChannelError(.internal, "the stored update of this device for round \(update.round) is refused: \(error.message)")
                }
                guard earlierID == stored.id else {
                    throw ChannelError(
                        .duplicateUpdate,
                        "the device's voice (\(rules.oneUpdatePer == .platform && platformHex != nil ? "its platform" : "its certificate")) already sent update "
                            + "\(earlierID.prefix(8)) for round \(update.round), to replica \(writer); one update per \(rules.oneUpdatePer.rawValue) and round")
                }
                state.withLock { live in
                    if live.acknowledgedRound == update.round { live.acknowledged[voice] = (stored.id, device) }
                }
                logger.info("update \(stored.shortID) from device \(device) for round \(update.round) was stored before (by replica \(writer)); acknowledged again")
                return UpdateAck(round: update.round, id: stored.id)
            case .wrongRound(let open):
                let relation = update.round < open ? "has closed" : "has not opened"
                throw ChannelError(
                    .wrongRound,
                    "an update for round \(update.round) is refused: that round \(relation); round \(open) is open (get-model returns its global model)")
            case .stale(let round):
                // Another replica closed a round this one has not read yet: read it, then try once more.
                if attempt == 1 {
                    refresh()
                    continue
                }
                // A row refused (forged, rolled back) names no round to send the device to.
                if let refusal = state.withLock({ $0.refusal }) { throw Self.unavailable(refusal) }
                if let round, round > update.round {
                    throw ChannelError(
                        .wrongRound, "an update for round \(update.round) is refused: round \(round) is open (get-model returns its global model)")
                }
                throw Self.unavailable(state.withLock { $0.refusal } ?? "this replica has not verified the federation's row yet")
            }
        }
        throw Self.unavailable("the federation's row changed while the update was stored")
    }

    private enum UpdateOutcome {
        case stored
        case existing(replica: String, sealed: [UInt8])
        case wrongRound(UInt64)
        /// The row is not the one this replica verified (its round, or nil if there is none).
        case stale(UInt64?)
    }

    /// `join-ack` while `round` is the round this replica serves (no sampling: `fl.privacy` is refused at
    /// start); `no-model`, `wrong-round`, `not-authorized` as `update`.
    public func join(round: UInt64, from serial: String, platform: [UInt8]? = nil) throws(ChannelError) -> JoinAck {
        _ = try rules.countedPlatform(serial: serial, platform: platform)
        let open = try currentGlobal().round
        guard round == open else {
            throw ChannelError(.wrongRound, "round \(round) is not open for joining: round \(open) is open (get-model returns its global model)")
        }
        return JoinAck(round: round)
    }

    /// Answers a wait for the global model of `round` at once if it is known (or refused), otherwise
    /// when this replica publishes it; holds no thread.
    @discardableResult
    public func awaitGlobal(round: UInt64, answer: @escaping @Sendable (Result<ModelReply, ChannelError>) -> Void) -> UInt64? {
        let registered = state.withLock { live -> (UInt64?, Result<ModelReply, ChannelError>?) in
            do throws(ChannelError) {
                if let ready = try Self.answer(round: round, live: live) { return (nil, .success(ready)) }
            } catch {
                return (nil, .failure(error))
            }
            live.nextWaiter += 1
            live.waiters[live.nextWaiter] = Waiter(round: round, answer: answer)
            return (live.nextWaiter, nil)
        }
        if let outcome = registered.1 { answer(outcome) }
        return registered.0
    }

    /// Drops the wait `id`; its answer never runs.
    public func cancelWait(_ id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// The answer to a wait for `round` now: the model, a refusal, or nil to wait.
    private static func answer(round: UInt64, live: Live) throws(ChannelError) -> ModelReply? {
        guard !live.stopping else { throw ChannelError(kind: .closed, code: .internal, message: "the runtime is stopping") }
        if let refusal = live.refusal { throw unavailable(refusal) }
        guard let published = live.published else { throw ChannelError.noModelYet }
        if published.round >= round { return ModelReply(blob: published.model, round: published.round) }
        guard round == published.round + 1 else {
            throw ChannelError(
                .wrongRound, "round \(round) is more than one round ahead: round \(published.round) is open, so its global model comes with round \(published.round + 1)")
        }
        return nil
    }

    private func answerWaiters() {
        let ready = state.withLock { live -> [(Waiter, Result<ModelReply, ChannelError>)] in
            var ready: [(Waiter, Result<ModelReply, ChannelError>)] = []
            for (id, waiter) in live.waiters {
                let outcome: Result<ModelReply, ChannelError>
                do throws(ChannelError) {
                    guard let reply = try Self.answer(round: waiter.round, live: live) else { continue }
                    outcome = .success(reply)
                } catch {
                    outcome = .failure(error)
                }
                ready.append((waiter, outcome))
                live.waiters[id] = nil
            }
            return ready
        }
        for (waiter, outcome) in ready { waiter.answer(outcome) }
    }

    /// Ends every wait and the polling.
    public func stop() {
        state.withLock { $0.stopping = true }
        answerWaiters()
    }

    // MARK: Closing a round once

    /// Closes the served round if the database holds enough of its updates (or its deadline passed with the
    /// quorum), as `RoundState.closeReason` rules; any replica may call it, one wins (docs/scale.md).
    public func closeIfDue() {
        closing.withLock { _ in closeIfDueNow() }
    }

    /// Counting the round's rows costs a scan of them, so after an update this counts only once the
    /// replica's estimate (the poll's count plus its own commits since) says the round may be due; the poll
    /// (every `pollInterval`) catches rounds that other replicas' updates fill. Counting at every update
    /// made a round of n updates read n^2/2 rows (44 s for 10,000 devices over two replicas).
    public func closeIfUpdateMadeDue() {
        let (verified, estimate) = state.withLock { ($0.verified, $0.count) }
        guard let verified,
            RoundState.closeReason(rules: rules, updates: estimate, deadline: verified.openedAt + rules.deadline.inSeconds, now: clock()) != nil
        else { return }
        closeIfDue()
    }

    private func closeIfDueNow() {
        let (verified, refused, stopping) = state.withLock { ($0.verified, $0.refusal != nil, $0.stopping) }
        guard let verified, !refused, !stopping else { return }
        let deadline = verified.openedAt + rules.deadline.inSeconds
        let count: Int
        do throws(PostgresError) {
            count = Int(
                try pool.withConnection { connection throws(PostgresError) in
                    try connection.execute(
                        "SELECT count(*) AS count FROM runtime_updates WHERE federation = $1 AND round = $2 AND kind = 'update'",
                        [.text(federation), .int(Int64(verified.round))]
                    ).rows.first?.int("count") ?? 0
                })
            noteDatabase(nil)
        } catch {
            noteDatabase(error)
            return
        }
        state.withLock { if $0.verified?.round == verified.round { $0.count = count } }
        guard RoundState.closeReason(rules: rules, updates: count, deadline: deadline, now: clock()) != nil else {
            return
        }
        close(verified)
    }

    private enum CloseOutcome {
        case closed(Global, updates: [AcceptedUpdate], reason: RoundState.CloseReason)
        /// Another replica closed it first (or the row changed): the winner's global is served.
        case lost
        case notDue
        /// Updates this replica acknowledged are not in the database.
        case missing([String])
        case failed(String)
    }

    /// One transaction: the federation row locked for update, still `expected`; the round's rows opened
    /// and aggregated; the next global written; the round's rows deleted.
    private func close(_ expected: Global) {
        let start = ContinuousClock.now
        let round = expected.round
        let acknowledged = state.withLock { $0.acknowledgedRound == round ? $0.acknowledged : [:] }
        let outcome: CloseOutcome
        do throws(PostgresError) {
            outcome = try pool.transaction { connection throws(PostgresError) -> CloseOutcome in
                guard let row = try connection.execute(
                    "SELECT round, digest FROM runtime_federations WHERE federation = $1 FOR UPDATE", [.text(federation)]
                ).rows.first, try row.int("round") == Int64(round), try row.bytes("digest") == expected.digest else { return .lost }
                let stored = try connection.execute(
                    "SELECT voice, replica, sealed FROM runtime_updates WHERE federation = $1 AND round = $2 AND kind = 'update'",
                    [.text(federation), .int(Int64(round))]
                ).rows
                var updates: [AcceptedUpdate] = []
                var voices: [[UInt8]] = []
                for row in stored {
                    let voice = try row.bytes("voice") ?? []
                    let writer = try row.text("replica") ?? ""
                    let sealed = try row.bytes("sealed") ?? []
                    do throws(RuntimeError) {
                        updates.append(try openUpdate(sealed, round: round, voice: voice, replica: writer))
                        voices.append(voice)
                    } catch {
                        // Refused and named, never aggregated.
                        complain(error.message)
                    }
                }
                let found = Set(voices)
                let missing = acknowledged.filter { !found.contains($0.key) }.map { "update \($0.value.id.prefix(8)) of device \($0.value.device)" }
                guard missing.isEmpty else { return .missing(missing.sorted()) }
                var rounds = RoundState(rules: rules, round: round, global: expected.model, openedAt: expected.openedAt, updates: updates)
                guard let closing = rounds.beginClosing(now: clock()) else { return .notDue }
                let next: ModelBlob
                do {
                    next = try closing.aggregate(with: rules)
                } catch {
                    return .failed("round \(round) could not be aggregated: \(error)")
                }
                let now = clock()
                let sealed: (Global, [UInt8])
                do throws(RuntimeError) {
                    sealed = try sealGlobal(
                        round: round + 1, openedAt: now, model: next, validation: expected.validation, voices: voices.sorted { $0.lexicographicallyPrecedes($1) },
                        previous: expected.digest)
                } catch {
                    return .failed("the global model of round \(round + 1) could not be sealed: \(error.message)")
                }
                try connection.execute(
                    "UPDATE runtime_federations SET round = $2, opened = $3, global = $4, digest = $5, previous = $6, replica = $7 WHERE federation = $1",
                    [.text(federation), .int(Int64(round + 1)), .date(now), .bytes(sealed.1), .bytes(sealed.0.digest), .bytes(expected.digest), .text(replica)])
                try connection.execute("DELETE FROM runtime_updates WHERE federation = $1 AND round <= $2", [.text(federation), .int(Int64(round))])
                return .closed(sealed.0, updates: closing.updates, reason: closing.reason)
            }
            noteDatabase(nil)
        } catch {
            noteDatabase(error)
            return
        }
        switch outcome {
        case .closed(let next, let updates, let reason):
            let elapsed = ContinuousClock.now - start
            let loss = Federation.meanLoss(of: updates).map { ", mean loss \(String(format: "%.4f", $0))" } ?? ""
            logger.info(
                "---- round \(round) closed by replica \(replica) with \(reason): global model \(next.model.shortID) of round \(round + 1) (\(updates.count) updates, \(next.model.model.samples) samples, \(String(format: "%.1f", elapsed.inSeconds * 1e3)) ms\(loss)) ----")
            RuntimeMetrics.roundClosed(latency: next.openedAt.timeIntervalSince(expected.openedAt), aggregation: elapsed, devices: updates.count)
            history.append(
                ModelRecord(
                    round: round + 1, modelID: next.model.shortID, updates: updates.count, samples: next.model.model.samples, rule: "\(rules.rule)",
                    milliseconds: elapsed.inSeconds * 1e3, meanLoss: Federation.meanLoss(of: updates), madeAt: next.openedAt))
            adopt(next)
        case .lost:
            refresh()
            let served = state.withLock { $0.published }
            if let served, served.round > round {
                logger.info("round \(round) was closed by replica \(served.replica); this replica serves its global model \(served.model.shortID) of round \(served.round)")
            }
        case .notDue:
            return
        case .missing(let missing):
            complain(
                "round \(round) does not close: \(missing.count) update\(missing.count == 1 ? "" : "s") this replica acknowledged "
                    + "\(missing.count == 1 ? "is" : "are") missing from the database (rows deleted or rolled back): \(missing.joined(separator: ", "))")
        case .failed(let reason):
            complain("\(reason); round \(round) stays open")
        }
    }

    // MARK: Following the database

    private func schedulePoll() {
        poller.asyncAfter(deadline: .now() + pollInterval.inSeconds) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopping }) else { return }
            self.refresh()
            self.closeIfDue()
            self.schedulePoll()
        }
    }

    /// Reads the federation row (one query unless it changed) and follows it: a newer round is opened,
    /// checked and anchored, then served; an older one, or the same round with another digest, is a
    /// rollback and refused.
    func refresh() {
        refreshing.withLock { _ in
            let verified = state.withLock { $0.verified }
            let head: (round: UInt64, digest: [UInt8], count: Int)?
            do throws(PostgresError) {
                head = try pool.withConnection { connection throws(PostgresError) -> (UInt64, [UInt8], Int)? in
                    guard let row = try connection.execute(
                        """
                        SELECT round, digest, (SELECT count(*) FROM runtime_updates u WHERE u.federation = f.federation AND u.round = f.round
                            AND u.kind = 'update') AS count FROM runtime_federations f WHERE federation = $1
                        """, [.text(federation)]
                    ).rows.first else { return nil }
                    return (UInt64(max(0, try row.int("round") ?? 0)), try row.bytes("digest") ?? [], Int(try row.int("count") ?? 0))
                }
                noteDatabase(nil)
            } catch {
                noteDatabase(error)
                return
            }
            guard let head else {
                if let verified { refuse("the database holds no row of federation \"\(federation)\", but this replica verified round \(verified.round) of it: rows deleted or rolled back") }
                return
            }
            if let reason = state.withLock({ $0.rejected[head.digest] }) {
                refuse(reason)
                return
            }
            if let verified, head.round < verified.round || (head.round == verified.round && head.digest != verified.digest) {
                refuse(
                    "the database's row of federation \"\(federation)\" is at round \(head.round) (digest \(Hex.short(head.digest))), but this replica "
                        + "verified round \(verified.round) (digest \(Hex.short(verified.digest))): rolled back; not serving or building on it")
                return
            }
            if let verified, head.round == verified.round {
                state.withLock { $0.count = head.count }
                if state.withLock({ $0.published?.digest != verified.digest }) { try? publishIfAnchored(verified) }
                clearRefusal()
                return
            }
            let next: Global?
            do {
                next = try loadRow()
            } catch let error as PostgresError {
                noteDatabase(error)
                return
            } catch {
                refuse("\(error)")
                return
            }
            guard let next else { return }
            if let verified, next.round == verified.round + 1 {
                guard next.previous == verified.digest else {
                    refuse("the global model of round \(next.round) does not follow round \(verified.round) (its previous digest is not \(Hex.short(verified.digest))); not serving it")
                    return
                }
                let (acknowledged, ackRound) = state.withLock { ($0.acknowledged, $0.acknowledgedRound) }
                if ackRound == verified.round {
                    let aggregated = Set(next.voices)
                    let missing = acknowledged.filter { !aggregated.contains($0.key) }
                    if !missing.isEmpty {
                        refuse(
                            rejecting: next.digest,
                            "the global model of round \(next.round) (closed by replica \(next.replica)) leaves out \(missing.count) update\(missing.count == 1 ? "" : "s") "
                                + "this replica acknowledged (\(missing.values.map { "device \($0.device)" }.sorted().joined(separator: ", ")): rows deleted or rolled back); not serving it")
                        return
                    }
                }
            }
            state.withLock { live in
                live.verified = next
                live.count = head.count
                live.acknowledgedRound = next.round
                live.acknowledged = [:]
            }
            clearRefusal()
            try? publishIfAnchored(next)
        }
    }

    /// Before this replica has read any global model, reads the row now rather than at the next poll:
    /// the provider's upload at another replica may have just committed.
    private func readFirstModel() {
        if state.withLock({ $0.verified == nil }) { refresh() }
    }

    /// Takes `next`, the global model this replica just committed, as verified, anchors and serves it.
    private func adopt(_ next: Global) {
        state.withLock { live in
            live.verified = next
            live.count = 0
            live.acknowledgedRound = next.round
            live.acknowledged = [:]
        }
        try? publishIfAnchored(next)
    }

    /// Serves `global` once the anchor holds it (advancing it if it names the round before with the
    /// digest `global.previous`), and answers the waiting devices; `unavailable` if it cannot be anchored now
    /// (the poll tries again).
    private func publishIfAnchored(_ global: Global) throws(ChannelError) {
        if state.withLock({ $0.published?.digest == global.digest }) { return }
        do throws(AnchorFailure) {
            try anchorCheck(global)
        } catch {
            complain("the global model of round \(global.round) is not served yet: it could not be anchored at \(anchor?.location ?? "the anchor"): \(error)")
            throw Self.unavailable("the global model of round \(global.round) is not anchored yet: \(error)")
        }
        let published = state.withLock { live -> Bool in
            guard (live.published?.round ?? 0) <= global.round, live.verified?.digest == global.digest else { return false }
            live.published = global
            return true
        }
        guard published else { return }
        RuntimeMetrics.openRound(global.round, deadline: global.openedAt + rules.deadline.inSeconds, updates: 0)
        if global.round == 0, global.replica != replica {
            logger.info("serving the initial global model \(global.model.shortID) of round 0, received by replica \(global.replica)")
        }
        if global.round > 0 {
            if global.replica != replica {
                logger.info("serving the global model \(global.model.shortID) of round \(global.round), closed by replica \(global.replica)")
                history.append(
                    ModelRecord(
                        round: global.round, modelID: global.model.shortID, updates: global.voices.count, samples: global.model.model.samples,
                        rule: "\(rules.rule)", milliseconds: 0, madeAt: global.openedAt))
            }
            validation.measure(global.model, on: global.validation)
        }
        answerWaiters()
    }

    /// Checks `global` (nil: no row) against the anchor, advancing it when `global` is the round after the
    /// anchored one and names its digest as `previous`; throws `.conflict` naming both otherwise.
    private func anchorCheck(_ global: Global?) throws(AnchorFailure) {
        guard let anchor else { return }
        let held = try anchor.read(federation: federation)
        guard let global else {
            if let held { throw .conflict("\(anchor.location) anchors \(held), but the database holds no row of the federation") }
            return
        }
        // Version r + 1 anchors round r, so that round 0 has a version to advance from nothing.
        let target = AnchorState(version: global.round + 1, digest: global.digest)
        if held == target { return }
        let follows = held.map { $0.version == global.round && global.previous == $0.digest } ?? (global.round == 0 && global.previous == nil)
        guard follows else {
            throw .conflict(
                "\(anchor.location) anchors \(held.map { "round \($0.version - 1) (digest \(Hex.short($0.digest)))" } ?? "nothing"), but the database holds "
                    + "round \(global.round) (digest \(Hex.short(global.digest)), previous \(global.previous.map { Hex.short($0) } ?? "none")), which does not follow it")
        }
        try anchor.advance(federation: federation, from: held, to: target)
    }

    // MARK: Rows

    /// The federation row, opened and checked, or nil if there is none.
    private func loadRow() throws -> Global? {
        let row = try pool.withConnection { connection throws(PostgresError) in
            try connection.execute(
                "SELECT round, opened, global, digest, previous, replica FROM runtime_federations WHERE federation = $1", [.text(federation)]
            ).rows.first
        }
        guard let row else { return nil }
        let round = UInt64(max(0, try row.int("round") ?? 0))
        let writer = try row.text("replica") ?? ""
        let sealed = try row.bytes("global") ?? []
        let digest = try row.bytes("digest") ?? []
        let previous = try row.bytes("previous")
        let where_ = SealedRow.Place(kind: .global, federation: federation, round: round, voice: [], replica: writer)
        guard Digest.sha256.hash(sealed) == digest else {
            throw RuntimeError(.sealedFileCorrupt, "\(where_): refused: its digest column is not the SHA-256 of its sealed blob; not using it")
        }
        let record = try SealedRecord(bytes: try rows.open(sealed, at: where_), kind: Self.globalKind, path: "\(where_)")
        guard try record.unsigned("round") == round, try record.optionalBytes("previous") == previous else {
            throw record.corrupt("its sealed round or previous digest is not the one its columns say")
        }
        let voices = try record.optionalArray("voices")?.compactMap(\.bytes) ?? []
        return Global(
            round: round, digest: digest, previous: previous, openedAt: Date(timeIntervalSince1970: Double(try record.unsigned("opened")) / 1000),
            model: try record.model("model"), validation: try record.optionalValidation("validation"), voices: voices, replica: writer)
    }

    /// The global model of `round` as a record sealed for its row, and the sealed bytes.
    private func sealGlobal(
        round: UInt64, openedAt: Date, model: ModelBlob, validation: ValidationSet?, voices: [[UInt8]], previous: [UInt8]?
    ) throws(RuntimeError) -> (Global, [UInt8]) {
        let opened = UInt64(max(0, openedAt.timeIntervalSince1970 * 1000).rounded())
        var record = SealedRecord(
            kind: Self.globalKind,
            fields: ["round": .unsigned(round), "opened": .unsigned(opened), "model": .bytes(model.bytes), "voices": .array(voices.map { .bytes($0) })])
        if let validation { record.set("validation", validation: validation) }
        if let previous { record.set("previous", .bytes(previous)) }
        let sealed = try rows.seal(record.bytes, at: place(.global, round: round, voice: [], replica: replica))
        let global = Global(
            round: round, digest: Digest.sha256.hash(sealed), previous: previous, openedAt: Date(timeIntervalSince1970: Double(opened) / 1000),
            model: model, validation: validation, voices: voices, replica: replica)
        return (global, sealed)
    }

    /// An update row of `round`, opened: the update it holds, if its sealed round is `round`.
    private func openUpdate(_ sealed: [UInt8], round: UInt64, voice: [UInt8], replica writer: String) throws(RuntimeError) -> AcceptedUpdate {
        let where_ = place(.update, round: round, voice: voice, replica: writer)
        let record = try SealedRecord(bytes: try rows.open(sealed, at: where_), kind: Self.updateKind, path: "\(where_)")
        guard try record.unsigned("round") == round else { throw record.corrupt("its sealed round is not \(round)") }
        return AcceptedUpdate(
            serial: try record.text("serial"), platform: try record.optionalText("platform"), blob: try record.model("model"),
            samples: try record.unsigned("samples"), loss: try record.optionalDouble("loss"))
    }

    private func place(_ kind: SealedRow.Kind, round: UInt64, voice: [UInt8], replica writer: String) -> SealedRow.Place {
        SealedRow.Place(kind: kind, federation: federation, round: round, voice: voice, replica: writer)
    }

    // MARK: Failures

    /// Runs `body` in a transaction; a database out of reach is `unavailable` (with a retry-after), any
    /// other failure `internal`, both logged.
    private func database<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(ChannelError) -> T {
        do throws(PostgresError) {
            let value = try pool.transaction(.readCommitted, attempts: 5, body)
            noteDatabase(nil)
            return value
        } catch {
            noteDatabase(error)
            if error.isUnavailable { throw Self.unavailable("the federation's database is out of reach") }
            throw ChannelError(.internal, "the federation's database refused the request: \(error.description)", cause: error)
        }
    }

    /// Logs the database going out of reach once, and once that it is back (`error` nil: a call succeeded).
    private func noteDatabase(_ error: PostgresError?) {
        let isOut = error?.isUnavailable ?? false
        let changed = state.withLock { live -> Bool in
            defer { live.outage = isOut }
            return live.outage != isOut
        }
        if let error, !isOut { logger.error("federation \"\(federation)\": the database refused a statement: \(error)") }
        guard changed else { return }
        if let error {
            logger.error("the database is out of reach (\(error.message)): devices are answered unavailable until it is back")
        } else {
            logger.notice("the database is back: serving federation \"\(federation)\" again")
        }
    }

    /// Stops serving (devices get `unavailable`) until the row is one this replica can accept again.
    private func refuse(rejecting digest: [UInt8]? = nil, _ reason: String) {
        state.withLock { live in
            live.refusal = reason
            if let digest { live.rejected[digest] = reason }
        }
        complain(reason)
        answerWaiters()
    }

    private func clearRefusal() {
        let was = state.withLock { live -> String? in
            defer { live.refusal = nil }
            return live.refusal
        }
        if was != nil { logger.notice("the database's row of federation \"\(federation)\" is acceptable again: serving") }
    }

    /// Logs `message` as an error unless it is the one logged last.
    private func complain(_ message: String) {
        let isNew = lastComplaint.withLock { last -> Bool in
            defer { last = message }
            return last != message
        }
        if isNew { logger.error("\(message)") }
    }

    private static func unavailable(_ reason: String) -> ChannelError {
        ChannelError(.unavailable, "\(reason); try again", retryAfterSeconds: 2)
    }
}
