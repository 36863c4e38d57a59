public import Channel

// `update`: in FL mode a device uploads the model it trained locally on the global model of a round,
// with the number of samples it trained on; the runtime acknowledges it once it is sealed on disk.

/// `{"type": "update", "round": uint, "model": bstr, "samples": uint}`, from a device.
public struct UpdateRequest: TypedMessage, Equatable {
    public static let type = "update"
    /// The round whose global model the device trained.
    public let round: UInt64
    /// The locally trained model blob.
    public let model: [UInt8]
    /// How many samples the device trained on (FedAvg weighs the update by it).
    public let samples: UInt64

    /// An update of `round` carrying `model`, trained on `samples` samples.
    public init(round: UInt64, model: [UInt8], samples: UInt64) {
        self.round = round
        self.model = model
        self.samples = samples
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
        model = try message.bytes("model")
        samples = try message.unsigned("samples")
    }

    public var frame: Message {
        Message(type: Self.type, fields: ["round": .unsigned(round), "model": .bytes(model), "samples": .unsigned(samples)])
    }
}

/// `{"type": "update-ack", "round": uint, "id": text}`: the runtime holds the update, sealed, and counts
/// it in that round.
public struct UpdateAck: TypedMessage, Equatable {
    public static let type = "update-ack"
    /// The round the update counts in.
    public let round: UInt64
    /// The lowercase hex SHA-256 of the update's model blob.
    public let id: String

    /// An acknowledgement of the update `id` in `round`.
    public init(round: UInt64, id: String) {
        self.round = round
        self.id = id
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
        id = try message.text("id")
    }

    public var frame: Message { Message(type: Self.type, fields: ["round": .unsigned(round), "id": .text(id)]) }
}
