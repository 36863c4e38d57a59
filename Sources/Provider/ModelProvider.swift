public import Channel
public import Policy
import WordModel

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

    /// Sends the model `blob` (checked first: a blob that does not decode is never sent); `onSent` hears
    /// its id once it is written. Returns the runtime's acknowledgement, whose id and size match the blob.
    public func send(_ blob: [UInt8], onSent: (_ id: String) -> Void = { _ in }) throws(ChannelError) -> ModelAck {
        do {
            _ = try ModelBlob.decode(blob)
        } catch {
            throw ChannelError(.invalidModel, "not sending the model: \(error)")
        }
        return try runtime.putModel(blob, onSent: onSent)
    }
}
