public import Channel
public import Foundation
public import Protocol
public import WordModel

/// The federated rounds as the server, its status and its metrics use them, whichever store keeps them:
/// `Federation` (the state folder, one runtime) or `SharedFederation` (a PostgreSQL database that
/// runtime replicas share, docs/scale.md).
public protocol RoundService: AnyObject, Sendable {
    /// The terms of the rounds, from the policy.
    var rules: FederationRules { get }
    /// The global models published, for status and metrics.
    var history: ModelHistory { get }
    /// Measures each global model on the provider's validation list.
    var validation: ModelValidation { get }
    /// The open round as this runtime serves it.
    var round: UInt64 { get }
    /// The open round's state for status: its global model, updates counted, deadline.
    var status: RoundStatus { get }
    /// The provider's validation list, sealed with the global models; nil if it gave none.
    var validationList: ValidationSet? { get }
    /// How many devices are waiting for a global model now.
    var waitingDevices: Int { get }
    /// The global model of the open round; `no-model` before the provider sent one.
    func currentGlobal() throws(ChannelError) -> ModelReply
    /// Makes the model in `blob` the global model of round 0, with the validation list `list` (nil: the
    /// one held so far); answers once it is stored and anchored.
    func setInitial(_ blob: [UInt8], validation list: ValidationSet?) throws(ChannelError) -> ModelBlob
    /// Stores and counts a device's update (once per voice); the acknowledgement to send.
    func update(_ update: UpdateRequest, from serial: String, platform: [UInt8]?) throws(ChannelError) -> UpdateAck
    /// Answers a device's `join` before it trains.
    func join(round: UInt64, from serial: String, platform: [UInt8]?) throws(ChannelError) -> JoinAck
    /// Answers a wait for the global model of `round` once it is published (see `Federation`); the wait's
    /// id while it waits, nil if `answer` already ran.
    @discardableResult
    func awaitGlobal(round: UInt64, answer: @escaping @Sendable (Result<ModelReply, ChannelError>) -> Void) -> UInt64?
    /// Drops the wait `id` (the device went away).
    func cancelWait(_ id: UInt64)
    /// Closes the open round if it is due.
    func closeIfDue()
    /// Closes the open round if an update just acknowledged may have made it due: what the server calls
    /// after each update, so it may skip work that `closeIfDue` always does.
    func closeIfUpdateMadeDue()
    /// Ends every wait and stops closing rounds.
    func stop()
}

/// The open round as status reports it.
public struct RoundStatus: Sendable {
    /// The open round.
    public let round: UInt64
    /// Its global model; nil before the provider sent one.
    public let global: ModelBlob?
    /// The updates counted in it (by every replica, with the shared store).
    public let updates: Int
    /// When its deadline falls.
    public let deadline: Date
    /// Whether it is being aggregated.
    public let isClosing: Bool

    /// The status of a round.
    public init(round: UInt64, global: ModelBlob?, updates: Int, deadline: Date, isClosing: Bool) {
        self.round = round
        self.global = global
        self.updates = updates
        self.deadline = deadline
        self.isClosing = isClosing
    }
}

extension Federation: RoundService {
    /// The open round from `snapshot`.
    public var status: RoundStatus {
        let rounds = snapshot
        return RoundStatus(
            round: rounds.round, global: rounds.global, updates: rounds.updates.count, deadline: rounds.deadline, isClosing: rounds.isClosing)
    }
}

extension Federation {
    /// The folder store counts its updates in memory: checking is free, so it checks.
    public func closeIfUpdateMadeDue() { closeIfDue() }
}
