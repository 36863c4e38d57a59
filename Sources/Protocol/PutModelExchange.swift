public import Channel

// `put-model`: the provider uploads a model blob, the runtime acknowledges it with the blob's id and size.

/// `{"type": "put-model", "model": bstr}`, from the provider to the runtime.
public struct PutModelRequest: TypedMessage, Equatable {
    public static let type = "put-model"
    /// The model blob (DESIGN.md, "Model blob").
    public let model: [UInt8]

    /// A request to upload `model`.
    public init(model: [UInt8]) {
        self.model = model
    }

    public init(fields message: Message) throws(ChannelError) {
        model = try message.bytes("model")
    }

    public var frame: Message { Message(type: Self.type, fields: ["model": .bytes(model)]) }
}

/// `{"type": "model-ack", "id": text, "size": uint}`: the runtime holds the uploaded model now.
public struct ModelAck: TypedMessage, Equatable {
    public static let type = "model-ack"
    /// The lowercase hex SHA-256 of the blob the runtime received.
    public let id: String
    /// The size of that blob in bytes.
    public let size: UInt64

    /// An acknowledgement of the blob with `id` and `size`.
    public init(id: String, size: UInt64) {
        self.id = id
        self.size = size
    }

    public init(fields message: Message) throws(ChannelError) {
        id = try message.text("id")
        size = try message.unsigned("size")
    }

    public var frame: Message { Message(type: Self.type, fields: ["id": .text(id), "size": .unsigned(size)]) }
}
