public import Channel

// `put-model`: the provider uploads a model blob, optionally with a validation word list, and the runtime
// acknowledges it with the blob's id and size (and the validation words it sealed).

/// `{"type": "put-model", "model": bstr, "validation": [text] (optional)}`, from the provider to the runtime.
public struct PutModelRequest: TypedMessage, Equatable {
    public static let type = "put-model"
    /// The model blob (docs/model-format.md).
    public let model: [UInt8]
    /// Words the runtime measures each new model's accuracy on (docs/protocol.md, "Validation list"); nil
    /// keeps the list the runtime holds. Private: the runtime seals them and never sends or logs them.
    public let validation: [String]?

    /// A request to upload `model`, with the validation words `validation` if any.
    public init(model: [UInt8], validation: [String]? = nil) {
        self.model = model
        self.validation = validation
    }

    public init(fields message: Message) throws(ChannelError) {
        model = try message.bytes("model")
        validation = message["validation"] == nil ? nil : try message.textArray("validation")
    }

    public var frame: Message {
        var frame = Message(type: Self.type, fields: ["model": .bytes(model)])
        if let validation { frame["validation"] = .array(validation.map { .text($0) }) }
        return frame
    }
}

/// `{"type": "model-ack", "id": text, "size": uint, "validation": uint (optional)}`: the runtime holds the
/// uploaded model now, and, when the request carried a validation list, that list of `validation` words.
public struct ModelAck: TypedMessage, Equatable {
    public static let type = "model-ack"
    /// The lowercase hex SHA-256 of the blob the runtime received.
    public let id: String
    /// The size of that blob in bytes.
    public let size: UInt64
    /// How many validation words the runtime sealed with the model; nil if the request sent none.
    public let validationWords: UInt64?

    /// An acknowledgement of the blob with `id` and `size`, and of `validationWords` validation words.
    public init(id: String, size: UInt64, validationWords: UInt64? = nil) {
        self.id = id
        self.size = size
        self.validationWords = validationWords
    }

    public init(fields message: Message) throws(ChannelError) {
        id = try message.text("id")
        size = try message.unsigned("size")
        validationWords = message["validation"] == nil ? nil : try message.unsigned("validation")
    }

    public var frame: Message {
        var frame = Message(type: Self.type, fields: ["id": .text(id), "size": .unsigned(size)])
        if let validationWords { frame["validation"] = .unsigned(validationWords) }
        return frame
    }
}
