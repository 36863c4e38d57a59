public import Channel
import Foundation
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
    /// How many times `train` sends a request again after the runtime answered `busy`.
    public var busyRetries = Device.defaultBusyRetries
    /// Told before each wait after a `busy` answer: the refusal, the seconds it waits, and the retry's
    /// number (from 1); the CLIs say so on standard error.
    public var onBusy: ((_ refusal: ChannelError, _ seconds: Int, _ retry: Int) -> Void)?

    /// The retries after `busy` by default: a few, so a device waits out a short queue but not forever.
    public static let defaultBusyRetries = 5

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
    /// refuses a word that is not five alphabet symbols (`bad-request` naming it). On `busy` (this device
    /// has the policy's most requests waiting) it waits the runtime's `retry-after` and sends the request
    /// again, at most `busyRetries` times, telling `onBusy` first.
    @discardableResult
    public func train(words: [String]) throws(ChannelError) -> (model: DeviceModel, reply: TrainedReply) {
        var retry = 0
        while true {
            do {
                let reply = try runtime.train(words: words)
                return (adopt(reply.blob, round: reply.blob.model.round), reply)
            } catch where error.code == .busy && retry < busyRetries {
                retry += 1
                // The runtime says when this device's oldest request will be done; 1 s if it did not.
                let seconds = error.retryAfterSeconds ?? 1
                onBusy?(error, seconds, retry)
                Thread.sleep(forTimeInterval: Double(seconds))
            }
        }
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
