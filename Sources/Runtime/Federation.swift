import ByteKit
public import Channel
import ByteKit
import Dispatch
public import Foundation
public import Logging
import OpenSSLKit
import Privacy
public import Protocol
public import WordModel

/// Federated rounds, live: devices' updates are stored sealed before they are acknowledged, a round
/// closes when `FederationRules` say so, its aggregate is sealed and published, and every device
/// waiting for it gets it.
///
/// `RoundState` decides; this class runs it under a lock, persists each step with `FederationFiles`
/// in the order docs/fl.md explains (an update is on disk before its acknowledgement; the global model
/// is on disk before anyone hears of it and before the round's updates are removed), schedules the
/// deadlines, and resumes after a restart from what the files say.
public final class Federation: Sendable {
    /// The terms of the rounds, from the policy.
    public let rules: FederationRules
    /// The global models published since the runtime started, for status and metrics.
    public let history: ModelHistory
    /// Measures each global model on the provider's validation list, after its publication.
    public let validation: ModelValidation

    private struct Live: Sendable {
        var rounds: RoundState
        /// The provider's validation list, sealed in every global model's file; nil if it gave none.
        var validation: ValidationSet?
        var stopping = false
        /// Devices waiting in the blocking `awaitGlobal` now.
        var waiting = 0
        /// Devices waiting without a thread (`awaitGlobal(round:answer:)`), by wait id.
        var waiters: [UInt64: GlobalWaiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    /// A device waiting for the global model of `round`, answered once it is published.
    private struct GlobalWaiter: Sendable {
        let round: UInt64
        let answer: @Sendable (Result<ModelReply, ChannelError>) -> Void
    }

    private let files: FederationFiles
    private let state: GuardedState<Live>
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let timers = DispatchQueue(label: "federation deadlines")

    /// The federation kept in `state`, under `rules`: resumes the round its anchored files hold (closing
    /// it at once if it is due). Throws if a sealed file is refused.
    public init(
        state anchored: AnchoredState, rules: FederationRules, logger: Logger, history: ModelHistory = ModelHistory(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(RuntimeError) {
        files = FederationFiles(state: anchored)
        self.rules = rules
        self.history = history
        validation = ModelValidation(history: history, logger: logger)
        self.logger = logger
        self.clock = clock
        let recovered = try files.recover()
        // The accountant composes rounds of one Z and Q: rounds released under others would be miscounted.
        if let budget = rules.privacy, let recorded = recovered.global?.model.model.privacy, recorded.rounds > 0,
            recorded.noiseMultiplier != budget.settings.noiseMultiplier || recorded.samplingRate != budget.settings.samplingRate
        {
            throw RuntimeError(
                .policyUnusable, "the federation released \(recorded.rounds) rounds with noise multiplier \(recorded.noiseMultiplier) and sampling rate "
                    + "\(recorded.samplingRate), but the policy sets \(budget.settings.noiseMultiplier) and \(budget.settings.samplingRate): "
                    + "this runtime cannot account for rounds of both, so it refuses to go on under this policy")
        }
        var rounds = RoundState(rules: rules)
        if let global = recovered.global {
            rounds = RoundState(
                rules: rules, round: global.round, global: global.model, openedAt: global.openedAt, updates: recovered.updates,
                privateRounds: global.privateRounds, notSampled: recovered.notSampled)
        }
        state = GuardedState(Live(rounds: rounds, validation: recovered.global?.validation))
        RuntimeMetrics.federationRules(minUpdates: rules.minUpdates, quorum: rules.quorum)
        // Before the provider's model no round is open: its deadline reads 0.
        RuntimeMetrics.openRound(rounds.round, deadline: rounds.global == nil ? Date(timeIntervalSince1970: 0) : rounds.deadline, updates: rounds.updates.count)
        logger.info("federated rounds under the policy's rule: \(rules)")
        if let global = recovered.global {
            let count = recovered.updates.count
            logger.info(
                "resumed round \(global.round) (global model \(global.model.shortID), opened \(UTCTimeText.format(global.openedAt))) with \(count) stored update\(count == 1 ? "" : "s")")
            if let list = global.validation { logger.info("the provider's validation list (\(list.words.count) words) is sealed with it") }
        }
        if let budget = rules.privacy {
            logger.info("privacy budget: \(budget.describe(released: rounds.privateRounds))")
            if rounds.isExhausted {
                logger.warning("the privacy budget is spent: the global model of round \(rounds.round) is the last, the federation takes no more updates; get-model serves it")
            }
        } else if rounds.privateRounds > 0 {
            logger.warning(
                "\(rounds.privateRounds) rounds were released under fl.privacy, but this policy sets none: the rounds from now on add no noise")
        }
        // A round that fell due while the runtime was down closes here, before anyone is served; only a
        // round still open then needs its deadline timer (one scheduled earlier could fire at once and
        // close the round on the timer's thread while this returns with the round still open).
        closeIfDue()
        if let global = recovered.global, round == global.round {
            scheduleDeadline(of: global.round, at: snapshot.deadline)
        }
    }

    /// The open round.
    public var round: UInt64 { state.withLock { $0.rounds.round } }

    /// The open round's state, as a copy.
    public var snapshot: RoundState { state.withLock { $0.rounds } }

    /// The provider's validation list, sealed with the global models; nil if it gave none.
    public var validationList: ValidationSet? { state.withLock { $0.validation } }

    /// How many devices are waiting for a global model now.
    public var waitingDevices: Int { state.withLock { $0.waiting + $0.waiters.count } }

    /// The global model of the open round; `no-model` before the provider sent one.
    public func currentGlobal() throws(ChannelError) -> ModelReply {
        try state.withLock { (live) throws(ChannelError) in try live.rounds.currentGlobal() }
    }

    /// Makes the model in `blob` the global model of round 0, sealed first with the validation list
    /// `list` (nil: the one held so far), records it in the history, and answers once that is anchored.
    /// `invalid-model` naming the field; `wrong-round` once the federation has started; `unavailable` if
    /// it could not be anchored (it is kept and anchored with the next change). The caller measures it
    /// (`validation`, on `validationList`) once it has said so, so the log reads in order.
    public func setInitial(_ blob: [UInt8], validation list: ValidationSet? = nil) throws(ChannelError) -> ModelBlob {
        let stored = try ModelBlob(received: blob)
        let now = clock()
        let (deadline, version) = try state.withLock { (live) throws(ChannelError) -> (Date, UInt64) in
            var next = live.rounds
            try next.setInitial(stored, now: now)
            let held = list ?? live.validation
            // Under the lock, so no update can slip in between the check and the write; uploads are rare.
            let version: UInt64
            do throws(RuntimeError) {
                version = try files.writeGlobal(.init(round: 0, openedAt: now, model: stored, validation: held))
            } catch {
                logger.error("could not store the initial model: \(error.message)")
                throw ChannelError(.internal, "the runtime could not store the model: \(error.message)", cause: error)
            }
            live.rounds = next
            live.validation = held
            return (next.deadline, version)
        }
        history.append(
            ModelRecord(round: 0, modelID: stored.shortID, updates: 0, samples: stored.model.samples, rule: "upload", milliseconds: 0, madeAt: now))
        scheduleDeadline(of: 0, at: deadline)
        RuntimeMetrics.openRound(0, deadline: deadline, updates: 0)
        try files.state.awaitAnchored(version)
        return stored
    }

    /// Stores `update` from the device whose certificate has serial `serial` and names the platform
    /// instance `platform`, sealed, and counts it in its round (once per platform or per certificate, as
    /// the policy's `fl.one-update-per` says); returns the acknowledgement to send. Refusals:
    /// `bad-request` (no samples, more than the policy's cap, or a loss that is NaN, infinite or negative),
    /// `not-authorized` (per-platform counting
    /// and a certificate naming no platform), `invalid-model` (wrong shape, non-finite values),
    /// `no-model`, `wrong-round`, `duplicate-update`.
    ///
    /// It does not close the round: call `closeIfDue()` once the acknowledgement is sent.
    public func update(_ update: UpdateRequest, from serial: String, platform: [UInt8]? = nil) throws(ChannelError) -> UpdateAck {
        try rules.check(update)
        let platformHex = try rules.countedPlatform(serial: serial, platform: platform)
        let stored = try ModelBlob(received: update.model)
        let reservation = try state.withLock { (live) throws(ChannelError) in
            try live.rounds.reserve(round: update.round, serial: serial, platform: platformHex, id: stored.id) {
                rules.privacy?.sampler.admits() ?? true
            }
        }
        let ack = UpdateAck(round: update.round, id: stored.id)
        let device = String(serial.prefix(8))
        if case .notSampled(let isNew) = reservation {
            try refuseNotSampled(round: update.round, serial: serial, platform: platformHex, isNew: isNew)
        }
        if case .alreadyAcknowledged = reservation {
            // Its first answer may have been `unavailable`: acknowledge only what is anchored.
            try files.state.awaitAllWritten()
            logger.info("update \(stored.shortID) from device \(device) for round \(update.round) was stored before; acknowledged again")
            return ack
        }
        let accepted = AcceptedUpdate(serial: serial, platform: platformHex, blob: stored, samples: update.samples, loss: update.loss)
        let version: UInt64
        do {
            version = try files.writeUpdate(accepted, round: update.round)
        } catch {
            state.withLock { $0.rounds.release(serial, platform: platformHex) }
            logger.error("could not store update \(stored.shortID) from device \(device): \(error.message)")
            throw ChannelError(.internal, "the runtime could not store the update: \(error.message)", cause: error)
        }
        let counted = state.withLock { live in
            live.rounds.acknowledge(accepted, round: update.round) ? live.rounds.updates.count : nil
        }
        guard let counted else {
            // Its file goes once the next round's global model is anchored (it is garbage then).
            throw ChannelError(
                .wrongRound,
                "round \(update.round) closed while this update was being stored, so it does not count; "
                    + "await the global model of round \(update.round + 1) and train on that")
        }
        // Counted (memory follows the disk), but acknowledged only once anchored: a rollback of the folder
        // could otherwise erase an acknowledged update.
        RuntimeMetrics.roundUpdates(counted)
        try files.state.awaitAnchored(version)
        logger.info(
            "update \(stored.shortID) from device \(device) for round \(update.round) (\(update.samples) samples): \(counted) of \(rules.minUpdates)")
        return ack
    }

    /// Answers a device's `join` for `round` before it trains: `join-ack` if it takes part, `not-sampled`
    /// (sealed first) if Poisson sampling left it out under `fl.privacy`; `budget-exhausted`,
    /// `wrong-round`, `no-model`, and `not-authorized` as `update` refuses them.
    public func join(round: UInt64, from serial: String, platform: [UInt8]? = nil) throws(ChannelError) -> JoinAck {
        let platformHex = try rules.countedPlatform(serial: serial, platform: platform)
        let decision = try state.withLock { (live) throws(ChannelError) in
            try live.rounds.join(round: round, serial: serial, platform: platformHex) { rules.privacy?.sampler.admits() ?? true }
        }
        if case .notSampled(let isNew) = decision {
            try refuseNotSampled(round: round, serial: serial, platform: platformHex, isNew: isNew)
        }
        return JoinAck(round: round)
    }

    /// Refuses an update with `not-sampled`, once the decision is sealed and anchored (`isNew`: drawn
    /// just now), so that a restart repeats it instead of drawing again. If it could not be sealed, the
    /// decision still holds in memory and the device is told to retry (`internal` or `unavailable`).
    private func refuseNotSampled(round: UInt64, serial: String, platform: String?, isNew: Bool) throws(ChannelError) -> Never {
        if isNew {
            let version: UInt64
            do {
                version = try files.writeNotSampled(round: round, serial: serial, platform: platform)
            } catch {
                logger.error("could not store the sampling decision of device \(serial.prefix(8)): \(error.message)")
                throw ChannelError(.internal, "the runtime could not store its sampling decision: \(error.message)")
            }
            try files.state.awaitAnchored(version)
            logger.info("device \(serial.prefix(8)) was not sampled for round \(round)")
        } else {
            // Its first answer may have been `unavailable`: refuse only what is anchored.
            try files.state.awaitAllWritten()
        }
        throw RoundState.notSampled(round: round)
    }

    /// Waits until the global model of `round` or a later one is published and returns it. Refuses a
    /// round more than one ahead of the open one (`wrong-round`), and gives up when `isCancelled` says
    /// the device went away (checked every second) or the runtime stops.
    public func awaitGlobal(round: UInt64, isCancelled: () -> Bool) throws(ChannelError) -> ModelReply {
        var counted = false
        defer { if counted { state.withLock { $0.waiting -= 1 } } }
        return try state.wait(polling: 1) { (live) throws(ChannelError) -> ModelReply? in
            if let reply = try Self.globalIfReady(round: round, live: live) { return reply }
            if isCancelled() {
                throw ChannelError(kind: .closed, code: .internal, message: "the device went away while it waited for round \(round)")
            }
            if !counted {
                live.waiting += 1
                counted = true
            }
            return nil
        }
    }

    /// Like `awaitGlobal(round:isCancelled:)`, without a thread: `answer` runs once, at once if the
    /// answer is known (the model, or a refusal), otherwise on the thread that publishes the global model
    /// of `round` (or stops the federation). Returns the wait's id for `cancelWait` while it waits, nil
    /// if `answer` already ran.
    @discardableResult
    public func awaitGlobal(round: UInt64, answer: @escaping @Sendable (Result<ModelReply, ChannelError>) -> Void) -> UInt64? {
        let outcome = state.withLock { (live) -> Result<ModelReply, ChannelError>? in
            do throws(ChannelError) {
                if let ready = try Self.globalIfReady(round: round, live: live) { return .success(ready) }
            } catch {
                return .failure(error)
            }
            return nil
        }
        if let outcome {
            answer(outcome)
            return nil
        }
        let id = state.withLock { live -> UInt64? in
            // Published or stopped between the two locks: the caller asks again.
            if live.stopping || live.rounds.round >= round { return nil }
            live.nextWaiter += 1
            live.waiters[live.nextWaiter] = GlobalWaiter(round: round, answer: answer)
            return live.nextWaiter
        }
        guard let id else { return awaitGlobal(round: round, answer: answer) }
        return id
    }

    /// Drops the wait `id` (the device went away); its answer never runs.
    public func cancelWait(_ id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// The answer to a wait for `round` if there is one now: the model, or a refusal; nil to wait.
    private static func globalIfReady(round: UInt64, live: Live) throws(ChannelError) -> ModelReply? {
        // Like every other connection the stop ends, this one closes without an answer; the device
        // waits again once the runtime is back.
        guard !live.stopping else { throw ChannelError(kind: .closed, code: .internal, message: "the runtime is stopping") }
        let open = live.rounds.round
        if open >= round { return try live.rounds.currentGlobal() }
        guard live.rounds.global != nil else { throw ChannelError.noModelYet }
        guard !live.rounds.isExhausted else { throw live.rounds.budgetExhausted }
        guard round == open + 1 else {
            throw ChannelError(
                .wrongRound,
                "round \(round) is more than one round ahead: round \(open) is open, so its global model comes with round \(open + 1)")
        }
        return nil
    }

    /// Answers the thread-free waits that can be answered now (after a publish or a stop).
    private func answerWaiters() {
        let ready = state.withLock { live -> [(GlobalWaiter, Result<ModelReply, ChannelError>)] in
            var ready: [(GlobalWaiter, Result<ModelReply, ChannelError>)] = []
            for (id, waiter) in live.waiters {
                do throws(ChannelError) {
                    guard let reply = try Self.globalIfReady(round: waiter.round, live: live) else { continue }
                    ready.append((waiter, .success(reply)))
                } catch {
                    ready.append((waiter, .failure(error)))
                }
                live.waiters[id] = nil
            }
            return ready
        }
        for (waiter, outcome) in ready { waiter.answer(outcome) }
    }

    /// Closes the open round if it is due: aggregates its updates with the policy's rule, seals the
    /// result as the global model of the next round, publishes it to every waiting device, then removes
    /// the closed round's updates. Does nothing if the round is not due or is closing already.
    public func closeIfDue() {
        let begun = state.withLock { live in live.stopping ? nil : live.rounds.beginClosing(now: clock()).map { ($0, live.validation) } }
        guard let (closing, list) = begun else { return }
        let round = closing.round
        logger.info("---- round \(round) closes with \(closing.reason): aggregating with \(rules.rule) ----")
        let start = ContinuousClock.now
        let next: ModelBlob
        do {
            next = try closing.aggregate(with: rules)
        } catch {
            logger.error("round \(round) could not be aggregated: \(error); it stays open")
            reopen(round)
            return
        }
        let openedAt = clock()
        let version: UInt64
        do {
            let released = closing.privateRounds + (rules.privacy == nil ? 0 : 1)
            version = try files.writeGlobal(.init(round: round + 1, openedAt: openedAt, model: next, privateRounds: released, validation: list))
        } catch {
            logger.error("the global model of round \(round + 1) could not be stored: \(error.message); round \(round) stays open")
            reopen(round)
            return
        }
        let outcome = Outcome(updates: closing.updates.count, meanLoss: Self.meanLoss(of: closing.updates), validation: list)
        publish(next, of: round, version: version, openedAt: openedAt, outcome: outcome, since: start)
    }

    /// What a closed round's record and log say besides its model, and the list to measure that model on.
    private struct Outcome: Sendable {
        /// The updates aggregated.
        let updates: Int
        /// The mean of the losses the devices reported; nil if none did.
        let meanLoss: Double?
        /// The provider's validation list, if any.
        let validation: ValidationSet?
    }

    /// The mean of the losses the `updates` reported (those without one do not count); nil if none did.
    static func meanLoss(of updates: [AcceptedUpdate]) -> Double? {
        let losses = updates.compactMap(\.loss)
        guard !losses.isEmpty else { return nil }
        // Each term divided first: the sum of a few huge finite losses could overflow to infinity.
        return losses.reduce(0) { $0 + $1 / Double(losses.count) }
    }

    /// Publishes `next`, the global model of round `round` + 1 sealed as `version`, once that version is
    /// anchored: never before, so that no rollback can make the runtime publish the round again. If the
    /// anchor cannot be advanced, the round stays closing (its updates are in the aggregate) and the
    /// publication is tried again in a few seconds.
    private func publish(_ next: ModelBlob, of round: UInt64, version: UInt64, openedAt: Date, outcome: Outcome, since start: ContinuousClock.Instant) {
        do {
            try files.state.awaitAnchored(version)
        } catch {
            logger.error("the global model of round \(round + 1) is stored but not anchored, so it is not published yet: \(error.message); trying again in 5 s")
            timers.asyncAfter(deadline: .now() + 5) { [weak self] in
                guard let self, !self.state.withLock({ $0.stopping }) else { return }
                self.publish(next, of: round, version: version, openedAt: openedAt, outcome: outcome, since: start)
            }
            return
        }
        // Logged before any device hears of it, so the log never lags what devices were told.
        let elapsed = ContinuousClock.now - start
        let loss = outcome.meanLoss.map { ", mean loss \(String(format: "%.4f", $0))" } ?? ""
        logger.info(
            "---- round \(round) closed: global model \(next.shortID) of round \(round + 1) (\(outcome.updates) updates, \(next.model.samples) samples, \(String(format: "%.1f", elapsed.inSeconds * 1e3)) ms\(loss)) ----")
        history.append(
            ModelRecord(
                round: round + 1, modelID: next.shortID, updates: outcome.updates, samples: next.model.samples, rule: "\(rules.rule)",
                milliseconds: elapsed.inSeconds * 1e3, meanLoss: outcome.meanLoss, madeAt: openedAt))
        validation.measure(next, on: outcome.validation)
        let (deadline, opened, open) = state.changeAndBroadcast { live in
            let opened = live.rounds.openedAt
            live.rounds.publish(next, openedAt: openedAt)
            return (live.rounds.deadline, opened, live.rounds.round)
        }
        RuntimeMetrics.roundClosed(latency: openedAt.timeIntervalSince(opened), aggregation: elapsed, devices: outcome.updates)
        RuntimeMetrics.openRound(open, deadline: deadline, updates: 0)
        answerWaiters()
        if let budget = rules.privacy {
            let released = snapshot.privateRounds
            logger.info("privacy spent: \(budget.describe(released: released))")
            if !budget.allowsRound(after: released) {
                logger.warning(
                    "the privacy budget is spent: the global model \(next.shortID) of round \(round + 1) is the last, the federation takes no more updates; get-model serves it")
                return
            }
        }
        scheduleDeadline(of: round + 1, at: deadline)
    }

    /// Ends every wait for a global model (those connections close) and stops closing rounds.
    public func stop() {
        state.changeAndBroadcast { $0.stopping = true }
        answerWaiters()
    }

    /// Reopens `round` after its closing failed, and tries closing it again in a few seconds (a full
    /// disk may have room by then), so that waiting devices are not left waiting for another update.
    private func reopen(_ round: UInt64) {
        state.withLock { $0.rounds.cancelClosing() }
        timers.asyncAfter(deadline: .now() + 5) { [weak self] in
            guard let self, self.round == round else { return }
            self.closeIfDue()
        }
    }

    private func scheduleDeadline(of round: UInt64, at deadline: Date) {
        let delay = max(0, deadline.timeIntervalSince(clock()))
        timers.asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self, self.round == round else { return }
            let count = self.snapshot.updates.count
            if count < self.rules.quorum {
                self.logger.info(
                    "round \(round) reached its deadline with \(count) update\(count == 1 ? "" : "s"), below the quorum of \(self.rules.quorum); it closes as soon as it has \(self.rules.quorum)")
            }
            self.closeIfDue()
        }
    }
}
