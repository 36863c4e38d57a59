public import Channel
public import Policy
public import Protocol
public import WordModel

/// The model provider's side of the runtime: it sends its model only to a server whose admission
/// certificate names the runtime role, and only if the policy lets the provider connect to the runtime.
public final class ModelProvider {
    /// The runtime it talks to.
    public let runtime: RuntimeClient

    /// A provider that talks to `runtime`; throws `not-authorized` if `policy` has no provider -> runtime channel.
    public init(runtime: RuntimeClient, policy: PolicyDocument) throws(ChannelError) {
        try RuntimeClient.requireChannel(from: .provider, allowed: policy.allowsChannel(from: .provider, to: .runtime))
        self.runtime = runtime
    }

    /// Sends the model `blob` (a `ModelBlob` decoded when it was read, so one that does not decode is
    /// never sent), with the validation list `validation` if given (checked when it was made, so a bad
    /// word is never sent); `onSent` hears its id once it is written. Returns the runtime's
    /// acknowledgement, whose id and size match the blob, and which counts every validation word.
    public func send(
        _ blob: ModelBlob, validation: ValidationSet? = nil, onSent: (_ id: String) -> Void = { _ in }
    ) throws(ChannelError) -> ModelAck {
        try runtime.putModel(blob, validation: validation?.words, onSent: onSent)
    }

    /// Downloads the runtime's current model (ML mode) or the global model of the open round (FL mode),
    /// with its round; `no-model` (from the runtime) if it has none yet.
    public func fetch() throws(ChannelError) -> ModelReply {
        try runtime.getModel()
    }
}
