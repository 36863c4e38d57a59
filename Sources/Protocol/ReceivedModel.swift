public import Channel
public import WordModel

// Model blobs that arrive in a message: decoded once, on arrival, into the `ModelBlob` that carries them
// from then on, with the protocol's errors.

extension ModelBlob {
    /// The blob a peer sent in `bytes`; `invalid-model` naming the field that is wrong.
    public init(received bytes: [UInt8]) throws(ChannelError) {
        do {
            try self.init(bytes: bytes)
        } catch {
            throw ChannelError(.invalidModel, error.description, cause: error)
        }
    }
}

extension Message {
    /// The model blob in the `model` field, labelled with its id in the `id` field, as the runtime sends
    /// models: `invalid-model` if it does not decode, `bad-request` if the label is not its SHA-256.
    func labelledModel() throws(ChannelError) -> ModelBlob {
        let bytes = try bytes("model")
        let label = try text("id")
        let blob: ModelBlob
        do {
            blob = try ModelBlob(received: bytes)
        } catch {
            throw ChannelError(.invalidModel, "the runtime sent a model that does not decode: \(error.message)", cause: error)
        }
        guard blob.id == label else {
            throw ChannelError(.badRequest, "the runtime sent a model labelled \(label.prefix(8)) whose SHA-256 is \(blob.shortID)")
        }
        return blob
    }
}
