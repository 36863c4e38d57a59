public import Channel

// `get-model`: a device (or the provider) downloads the runtime's current model.

/// `{"type": "get-model"}`.
public struct GetModelRequest: TypedMessage, Equatable {
    public static let type = "get-model"

    /// The request; it has no fields.
    public init() {}

    public init(fields message: Message) throws(ChannelError) {}

    public var frame: Message { Message(type: Self.type) }
}

/// `{"type": "model", "model": bstr, "id": text, "round": uint}`: a model the runtime hands out.
public struct ModelReply: TypedMessage, Equatable {
    public static let type = "model"
    /// The model blob.
    public let model: [UInt8]
    /// The lowercase hex SHA-256 of `model`.
    public let id: String
    /// The model's training generation (ML) or round (FL).
    public let round: UInt64

    /// A reply carrying `model`, whose id is `id`, of generation or round `round`.
    public init(model: [UInt8], id: String, round: UInt64) {
        self.model = model
        self.id = id
        self.round = round
    }

    public init(fields message: Message) throws(ChannelError) {
        model = try message.bytes("model")
        id = try message.text("id")
        round = try message.unsigned("round")
    }

    public var frame: Message {
        Message(type: Self.type, fields: ["model": .bytes(model), "id": .text(id), "round": .unsigned(round)])
    }
}
