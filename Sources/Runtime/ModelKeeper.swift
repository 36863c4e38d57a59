public import Channel
public import WordModel

/// Where ML mode keeps its current model and the provider's validation list: the sealed folder of one
/// runtime (`ModelStore`), or a database shared by runtime replicas (`SharedModelStore`).
///
/// Every change (a device's training, a provider's upload) goes through `change`, one at a time per
/// replica (the training queue's worker); a keeper shared by replicas also makes it one at a time
/// across them, and hands `make` the newest committed model.
public protocol ModelKeeper: Sendable {
    /// The model this replica holds now (no I/O), or nil before the first upload: for logs and status.
    var current: ModelBlob? { get }
    /// The provider's validation list as this replica holds it, or nil if it gave none.
    var validation: ValidationSet? { get }
    /// The newest committed model, for `get-model`, or nil before the first upload; throws
    /// `unavailable` when it cannot be known or is refused (naming why).
    func newest() throws(ChannelError) -> ModelBlob?
    /// Runs `make` on the newest model and validation list, stores what it returns as the current ones,
    /// and returns its value with the ticket to pass to `awaitAcknowledged` before answering; throws
    /// what `make` throws (nothing changes then), or `internal`/`unavailable` if it cannot be stored
    /// (`what` names it, e.g. "the trained model").
    func change<Value>(
        _ what: String, _ make: (_ current: ModelBlob?, _ validation: ValidationSet?) throws(ChannelError) -> ModelChange<Value>
    ) throws(ChannelError) -> (value: Value, ticket: UInt64?)
    /// Returns once the change that gave `ticket` may be acknowledged (anchored); throws `unavailable` if
    /// it may not be now.
    func awaitAcknowledged(_ ticket: UInt64?) throws(ChannelError)
}

/// What a change of the model makes: the new model, the validation list to keep with it, and the
/// caller's own value (the reply).
public struct ModelChange<Value> {
    /// The caller's value, returned by `ModelKeeper.change`.
    public var value: Value
    /// The new current model.
    public var model: ModelBlob
    /// The validation list to seal with it; nil keeps the one held.
    public var validation: ValidationSet?

    /// A change to `model` with `validation` (nil: the list held), returning `value`.
    public init(value: Value, model: ModelBlob, validation: ValidationSet? = nil) {
        self.value = value
        self.model = model
        self.validation = validation
    }
}
