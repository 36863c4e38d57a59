import Channel
import Protocol
import WordModel

/// A model as the runtime keeps it: the decoded weights, the exact blob it hands out, and its id.
public struct StoredModel: Sendable, Equatable {
    /// The decoded model.
    public let model: Model
    /// The blob, byte for byte as received or encoded.
    public let blob: [UInt8]
    /// The lowercase hex SHA-256 of `blob`.
    public let id: String

    /// The model in `blob`; throws `invalid-model` naming the field that is wrong.
    public init(blob: [UInt8]) throws(ChannelError) {
        do {
            model = try ModelBlob.decode(blob)
        } catch {
            throw ChannelError(.invalidModel, error.description)
        }
        self.blob = blob
        id = ModelBlob.id(of: blob)
    }

    /// `model`, encoded as a blob.
    public init(model: Model) {
        self.model = model
        blob = ModelBlob.encode(model)
        id = ModelBlob.id(of: blob)
    }

    /// The first eight hex digits of the id, for logs.
    public var shortID: String { String(id.prefix(8)) }

    /// The reply that hands this model to a device.
    public var reply: ModelReply { ModelReply(model: blob, id: id, round: model.round) }
}
