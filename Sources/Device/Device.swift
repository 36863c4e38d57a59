public import Channel
public import Policy
public import Protocol
import WordModel

/// The device's side of the runtime: download the model and predict on the device; in ML mode send the
/// correct words to train on and predict with the model that comes back (FL mode: DeviceFederation.swift).
///
/// It talks only to a server whose admission certificate names the runtime role, and only if the policy
/// lets devices connect to the runtime. Not `Sendable`: one thread at a time uses it.
public final class Device {
    /// The runtime it talks to.
    public let runtime: RuntimeClient
    /// The model it predicts with: the last one downloaded or received after training.
    public internal(set) var model: DeviceModel?
    /// The round (FL) or generation (ML) of `model`, as the runtime labelled it.
    public internal(set) var round: UInt64 = 0

    /// A device that talks to `runtime`; throws `not-authorized` if `policy` has no device -> runtime channel.
    public init(runtime: RuntimeClient, policy: PolicyDocument) throws(ChannelError) {
        try RuntimeClient.requireChannel(from: .device, allowed: policy.allowsChannel(from: .device, to: .runtime))
        self.runtime = runtime
    }

    /// Downloads the runtime's current model and predicts with it from now on; `no-model` if it has none.
    @discardableResult
    public func download() throws(ChannelError) -> DeviceModel {
        adopt(try runtime.getModel())
    }

    /// Sends `words` to be trained on and predicts with the trained model from now on. The runtime
    /// refuses a word that is not five alphabet symbols (`bad-request` naming it).
    @discardableResult
    public func train(words: [String]) throws(ChannelError) -> (model: DeviceModel, reply: TrainedReply) {
        let reply = try runtime.train(words: words)
        return (adopt(reply.blob, round: reply.blob.model.round), reply)
    }

    /// Predicts with the model in `reply` from now on.
    func adopt(_ reply: ModelReply) -> DeviceModel {
        adopt(reply.blob, round: reply.round)
    }

    /// Predicts with `blob`, of round (or generation) `round`, from now on.
    private func adopt(_ blob: ModelBlob, round: UInt64) -> DeviceModel {
        let model = DeviceModel(blob: blob)
        self.model = model
        self.round = round
        return model
    }
}
