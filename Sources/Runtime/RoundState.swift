import ByteKit
public import Channel
public import Foundation
public import Protocol
public import WordModel

/// An update counted in a round: whose it is (the device certificate's serial and its platform), its
/// model blob, its sample count and the loss the device reported.
public struct AcceptedUpdate: Sendable, Equatable {
    /// The serial number (hex) of the device certificate that sent it.
    public let serial: String
    /// The instance ID (hex) of the platform the device certificate names; nil if it names none.
    public let platform: String?
    /// Its model blob (id and weights with it).
    public let blob: ModelBlob
    /// The samples it was trained on, as the device said: its weight in FedAvg.
    public let samples: UInt64
    /// The loss of the device's last local epoch, as it said (finite, not negative); nil if it did not say.
    public let loss: Double?

    /// An update of device `serial` on platform `platform`, reporting `loss` if it did.
    public init(serial: String, platform: String? = nil, blob: ModelBlob, samples: UInt64, loss: Double? = nil) {
        self.serial = serial
        self.platform = platform
        self.blob = blob
        self.samples = samples
        self.loss = loss
    }
}

/// The federation's rounds as a state machine, without clocks, threads or files, so that every
/// transition can be tested on its own. `Federation` drives it under a lock and persists each step.
///
/// Round r is open from the moment its global model is published (round 0: the provider's model) until
/// it closes. An update is first reserved (one per platform, or per device certificate, and round: the
/// policy's `fl.one-update-per`), then stored by the
/// caller, then acknowledged; only acknowledged updates count. A round closes when it has `minUpdates`
/// acknowledged updates, or, once its deadline has passed, as soon as it has `quorum`. While it closes,
/// updates for it are refused; publishing the aggregate opens round r + 1 with no updates.
public struct RoundState: Sendable {
    /// Why a round closes.
    public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
        /// It reached `minUpdates` updates.
        case enoughUpdates(Int)
        /// Its deadline passed and it had at least `quorum` updates.
        case deadline(Int)

        /// "2 updates (min-updates reached)" or "1 update at the deadline (quorum 1)".
        public var description: String {
            switch self {
            case .enoughUpdates(let count): "\(count) update\(count == 1 ? "" : "s"), min-updates reached"
            case .deadline(let count): "\(count) update\(count == 1 ? "" : "s") at the deadline"
            }
        }
    }

    /// What to do with an update that passed `reserve`.
    public enum Reservation: Sendable, Equatable {
        /// Store it, then `acknowledge` it (or `release` it if storing failed).
        case store
        /// The same update from the same device was acknowledged before (the device did not see the
        /// acknowledgement), in the open round or in the one that closed last: acknowledge it again,
        /// storing nothing.
        case alreadyAcknowledged(UpdateAck)
        /// Under `fl.privacy`, Poisson sampling left this voice out of the round. `isNew`: drawn just now,
        /// so the caller seals the decision (and awaits its anchoring) before refusing with `not-sampled`;
        /// otherwise it was drawn before and the refusal repeats it.
        case notSampled(isNew: Bool)
    }

    /// What a round's closing works on: the round, the global model it started from, its updates.
    public struct Closing: Sendable {
        /// The round that closes.
        public let round: UInt64
        /// Its global model, which the rules that clip measure distances from.
        public let global: ModelBlob
        /// Its acknowledged updates, sorted by serial.
        public let updates: [AcceptedUpdate]
        /// Why it closes.
        public let reason: CloseReason
        /// The rounds released under DP-FedAvg before this one.
        public let privateRounds: UInt64

        /// The global model of the next round: the updates aggregated with `rules`' rule, weighted by
        /// their samples, labelled with round + 1, the samples' sum and (under `fl.privacy`) the privacy
        /// spent. Throws what the rule throws.
        public func aggregate(with rules: FederationRules) throws -> ModelBlob {
            let weights = try rules.rule.aggregate(
                updates.map(\.blob.model.weights), weights: updates.map { Double($0.samples) }, global: global.model.weights)
            // Saturating: a device may claim any count, and the sum only labels the model.
            let samples = updates.reduce(UInt64(0)) { total, update in
                let (sum, overflow) = total.addingReportingOverflow(update.samples)
                return overflow ? .max : sum
            }
            // Released under DP-FedAvg: the blob says what everyone's privacy cost up to it.
            let privacy = rules.privacy?.record(released: privateRounds + 1)
            return ModelBlob(model: Model(weights: weights, round: round + 1, samples: samples, privacy: privacy))
        }
    }

    /// The terms of the rounds.
    public let rules: FederationRules
    /// The open round (or the one closing).
    public private(set) var round: UInt64
    /// The global model of `round`; nil until the provider sent one.
    public private(set) var global: ModelBlob?
    /// When `round` opened.
    public private(set) var openedAt: Date
    /// The rounds whose aggregate DP-FedAvg released (under `fl.privacy`): what the budget spent counts.
    public private(set) var privateRounds: UInt64 = 0
    /// The open round's sampling decisions under `fl.privacy`, by voice: true if drawn.
    private var draws: [String: Bool] = [:]
    /// Whether `round` is being aggregated.
    public private(set) var isClosing = false
    /// The acknowledged updates, by voice (see `voice(serial:platform:)`).
    private var accepted: [String: AcceptedUpdate] = [:]
    /// Voices whose update is being stored now.
    private var pending: Set<String> = []
    /// The ids of the updates the last closed round counted, by voice: a device whose acknowledgement
    /// was lost as that round closed (a restart closes a round that its update made due) sends it again.
    private var lastClosed: (round: UInt64, ids: [String: String])?

    /// A federation with no model yet.
    public init(rules: FederationRules) {
        self.rules = rules
        round = 0
        openedAt = .distantPast
    }

    /// The state a restart finds: round `round` with its global model, opened at `openedAt`, and the
    /// updates stored for it, after `privateRounds` rounds released under DP-FedAvg, with the voices
    /// (serial and platform) that sampling left out of the round.
    public init(
        rules: FederationRules, round: UInt64, global: ModelBlob, openedAt: Date, updates: [AcceptedUpdate],
        privateRounds: UInt64 = 0, notSampled: [(serial: String, platform: String?)] = []
    ) {
        self.init(rules: rules)
        self.round = round
        self.global = global
        self.openedAt = openedAt
        self.privateRounds = privateRounds
        for left in notSampled { draws[voice(serial: left.serial, platform: left.platform)] = false }
        for update in updates { draws[voice(of: update)] = true }
        // Sorted, so that if two stored updates share a voice (the policy changed its counting), the
        // same one counts on every restart.
        for update in updates.sorted(by: { $0.serial < $1.serial }) where accepted[voice(of: update)] == nil {
            accepted[voice(of: update)] = update
        }
    }

    /// Whose turn an update takes: "platform <hex>" when the rules count per platform and the device
    /// names one, else "certificate <serial>". `Federation` refuses a device that names no platform
    /// under per-platform counting before it gets here.
    public func voice(serial: String, platform: String?) -> String {
        if rules.oneUpdatePer == .platform, let platform { return "platform \(platform)" }
        return "certificate \(serial)"
    }

    private func voice(of update: AcceptedUpdate) -> String {
        voice(serial: update.serial, platform: update.platform)
    }

    /// The acknowledged updates of the open round, in no particular order.
    public var updates: [AcceptedUpdate] { Array(accepted.values) }

    /// When the open round's deadline falls.
    public var deadline: Date { openedAt + rules.deadline.inSeconds }

    /// Whether any update of round 0 was reserved or acknowledged, or any round closed: from then on the
    /// initial model is fixed.
    public var hasStarted: Bool { round > 0 || isClosing || !accepted.isEmpty || !pending.isEmpty }

    /// Makes `model` the global model of round 0, opened at `now`. Refused (`wrong-round`) once the
    /// federation has started: devices may already be training on the model it has.
    public mutating func setInitial(_ model: ModelBlob, now: Date) throws(ChannelError) {
        guard !hasStarted else {
            let where_ = round > 0 ? "it is at round \(round)" : "round 0 already has updates"
            throw ChannelError(
                .wrongRound,
                "put-model sets the initial global model (round 0) only before the first update; \(where_). "
                    + "To start a new federation, start the runtime on a fresh state folder")
        }
        global = model
        openedAt = now
    }

    /// The global model of the open round; `no-model` before the provider sent one.
    public func currentGlobal() throws(ChannelError) -> ModelReply {
        guard let global else { throw ChannelError.noModelYet }
        return ModelReply(blob: global, round: round)
    }

    /// Checks an update of `round` with id `id` from device `serial` on platform `platform` (hex), and
    /// reserves its voice's place: `no-model`, `wrong-round` (another round, or this one closing) or
    /// `duplicate-update`. An update counted already for the same voice, in the open round or in the
    /// last closed one, is acknowledged again. Under `fl.privacy`, `budget-exhausted` once no round may
    /// open, and a voice's first update of the round is admitted only if `draw()` (Poisson sampling)
    /// says so; the decision holds for the rest of the round.
    public mutating func reserve(
        round: UInt64, serial: String, platform: String? = nil, id: String, draw: () -> Bool = { true }
    ) throws(ChannelError) -> Reservation {
        guard global != nil else { throw ChannelError.noModelYet }
        let voice = voice(serial: serial, platform: platform)
        if let lastClosed, lastClosed.round == round, lastClosed.ids[voice] == id {
            return .alreadyAcknowledged(UpdateAck(round: round, id: id))
        }
        if isExhausted { throw budgetExhausted }
        guard round == self.round else {
            let relation = round < self.round ? "has closed" : "has not opened"
            throw ChannelError(
                .wrongRound,
                "an update for round \(round) is refused: that round \(relation); round \(self.round) is open (get-model returns its global model)")
        }
        if let earlier = accepted[voice] {
            // Counted, also while the round closes: the aggregate includes it.
            if earlier.blob.id == id { return .alreadyAcknowledged(UpdateAck(round: round, id: id)) }
            throw duplicate(serial: serial, platform: platform, round: round, what: "already sent update \(earlier.blob.id.prefix(8)) for round \(round)")
        }
        guard !isClosing else {
            throw ChannelError(
                .wrongRound,
                "an update for round \(round) is refused: the round is closing with \(accepted.count) updates; "
                    + "await the global model of round \(round + 1) and train on that")
        }
        guard pending.insert(voice).inserted else {
            throw duplicate(serial: serial, platform: platform, round: round, what: "has an update for round \(round) being stored")
        }
        if case .notSampled(let isNew) = sample(voice: voice, draw: draw) {
            pending.remove(voice)
            return .notSampled(isNew: isNew)
        }
        return .store
    }

    /// Whether device `serial` on `platform` takes part in `round` (a `join` before training): `.store`
    /// when it does, `.notSampled` when sampling left it out (see `reserve`); `no-model`, `wrong-round`,
    /// `budget-exhausted` as `reserve` refuses them.
    public mutating func join(round: UInt64, serial: String, platform: String? = nil, draw: () -> Bool) throws(ChannelError) -> Reservation {
        guard global != nil else { throw ChannelError.noModelYet }
        if isExhausted { throw budgetExhausted }
        guard round == self.round, !isClosing else {
            throw ChannelError(
                .wrongRound, "round \(round) is not open for joining: round \(self.round) is \(isClosing ? "closing" : "open") (get-model returns its global model)")
        }
        return sample(voice: voice(serial: serial, platform: platform), draw: draw)
    }

    /// The open round's sampling decision for `voice`, drawn with `draw` the first time: `.store` when it
    /// takes part (always without `fl.privacy`).
    private mutating func sample(voice: String, draw: () -> Bool) -> Reservation {
        guard rules.privacy != nil else { return .store }
        if let drawn = draws[voice] { return drawn ? .store : .notSampled(isNew: false) }
        let drawn = draw()
        draws[voice] = drawn
        return drawn ? .store : .notSampled(isNew: true)
    }

    /// Whether the privacy budget forbids the open round: its release would pass `max-epsilon`. The
    /// federation stops there; its global model is the last.
    public var isExhausted: Bool {
        guard let budget = rules.privacy else { return false }
        return !budget.allowsRound(after: privateRounds)
    }

    /// The `budget-exhausted` refusal.
    public var budgetExhausted: ChannelError {
        let spent = rules.privacy.map { $0.describe(released: privateRounds) } ?? ""
        return ChannelError(
            .budgetExhausted,
            "the federation's privacy budget is spent (\(spent)): the global model of round \(round) (get-model) is the last; "
                + "it takes no more updates")
    }

    /// The `not-sampled` refusal of `round`.
    public static func notSampled(round: UInt64) -> ChannelError {
        ChannelError(
            .notSampled,
            "Poisson sampling (fl.privacy.sampling-rate) did not draw this device for round \(round): it takes no part; "
                + "await the global model of round \(round + 1)")
    }

    /// The `duplicate-update` refusal of the voice of `serial` and `platform`, which `what`.
    private func duplicate(serial: String, platform: String?, round: UInt64, what: String) -> ChannelError {
        if rules.oneUpdatePer == .platform, let platform {
            return ChannelError(
                .duplicateUpdate,
                "platform \(platform.prefix(8))... \(what) (this device certificate: serial \(serial.prefix(8))...); "
                    + "one update per platform and round (fl.one-update-per)")
        }
        return ChannelError(
            .duplicateUpdate, "this device certificate (serial \(serial.prefix(8))...) \(what); one update per device and round")
    }

    /// Counts `update`, which was reserved and is now stored, if its round is still open and not closing;
    /// returns whether it counted. An update that did not count must be removed from the disk.
    public mutating func acknowledge(_ update: AcceptedUpdate, round: UInt64) -> Bool {
        let voice = voice(of: update)
        guard pending.remove(voice) != nil, round == self.round, !isClosing else { return false }
        accepted[voice] = update
        return true
    }

    /// Gives up the reservation of device `serial` on platform `platform` (its update could not be stored).
    public mutating func release(_ serial: String, platform: String? = nil) {
        pending.remove(voice(serial: serial, platform: platform))
    }

    /// Why the open round should close at `now`, or nil if it should stay open.
    public func closeReason(now: Date) -> CloseReason? {
        guard global != nil, !isClosing, !isExhausted else { return nil }
        return Self.closeReason(rules: rules, updates: accepted.count, deadline: deadline, now: now)
    }

    /// Why a round with `updates` counted and `deadline` should close at `now` under `rules`, or nil: the
    /// one rule, for a round held here and for one whose updates are rows of a shared database.
    public static func closeReason(rules: FederationRules, updates: Int, deadline: Date, now: Date) -> CloseReason? {
        if updates >= rules.minUpdates { return .enoughUpdates(updates) }
        if now >= deadline, updates >= rules.quorum { return .deadline(updates) }
        return nil
    }

    /// Starts closing the open round if it should close at `now`: from now on its updates are refused.
    /// Returns what the aggregation works on (updates sorted by serial), or nil.
    public mutating func beginClosing(now: Date) -> Closing? {
        guard let reason = closeReason(now: now), let global else { return nil }
        isClosing = true
        // Sorted, so that the same updates always aggregate to the same bytes.
        let updates = accepted.values.sorted { $0.serial < $1.serial }
        return Closing(round: round, global: global, updates: updates, reason: reason, privateRounds: privateRounds)
    }

    /// Publishes `global` as the global model of the next round, opened at `openedAt`. The closing
    /// round's updates are dropped; reservations still being stored will not count. Under `fl.privacy`
    /// it counts one more round released.
    public mutating func publish(_ global: ModelBlob, openedAt: Date) {
        precondition(isClosing, "publish follows beginClosing")
        lastClosed = (round, accepted.mapValues(\.blob.id))
        if rules.privacy != nil { privateRounds += 1 }
        draws = [:]
        round += 1
        self.global = global
        self.openedAt = openedAt
        accepted = [:]
        isClosing = false
    }

    /// Reopens the closing round as it was (its aggregate could not be made or stored).
    public mutating func cancelClosing() {
        isClosing = false
    }

}
