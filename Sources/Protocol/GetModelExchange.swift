public import Channel
public import WordModel

// `get-model`: a device (or the provider) downloads the runtime's current model.

/// `{"type": "get-model"}`.
public struct GetModelRequest: TypedMessage, Equatable {
    public static let type = "get-model"

    /// The request; it has no fields.
    public init() {}

    public init(fields message: Message) throws(ChannelError) {}

    public var frame: Message { Message(type: Self.type) }
}

/// `{"type": "model", "model": bstr, "id": text, "round": uint}`: a model the runtime hands out. The
/// blob is decoded and checked against its id as the message is read.
public struct ModelReply: TypedMessage, Equatable {
    public static let type = "model"
    /// The model blob (its id travels as `id`).
    public let blob: ModelBlob
    /// The model's training generation (ML) or round (FL).
    public let round: UInt64

    /// A reply carrying `blob`, of generation or round `round`.
    public init(blob: ModelBlob, round: UInt64) {
        self.blob = blob
        self.round = round
    }

    public init(fields message: Message) throws(ChannelError) {
        blob = try message.labelledModel()
        round = try message.unsigned("round")
        // A device waits for round + 1, so a malicious runtime's 2^64-1 must not pass.
        do { try ModelBlob.checkRound(round) } catch { throw ChannelError(.badRequest, "the runtime's reply: \(error)", cause: error) }
    }

    public var frame: Message {
        Message(type: Self.type, fields: ["model": .bytes(blob.bytes), "id": .text(blob.id), "round": .unsigned(round)])
    }
}
