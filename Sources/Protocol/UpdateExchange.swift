public import Channel

// `update`: in FL mode a device uploads the model it trained locally on the global model of a round,
// with the number of samples it trained on and, optionally, the loss of its last local epoch; the runtime
// acknowledges it once it is sealed on disk.

/// `{"type": "update", "round": uint, "model": bstr, "samples": uint, "loss": float (optional)}`, from a device.
public struct UpdateRequest: TypedMessage, Equatable {
    public static let type = "update"
    /// The round whose global model the device trained.
    public let round: UInt64
    /// The locally trained model blob.
    public let model: [UInt8]
    /// How many samples the device trained on (FedAvg weighs the update by it).
    public let samples: UInt64
    /// The mean loss of the device's last local epoch; nil from devices that do not report it (older
    /// ones). The runtime refuses NaN, infinite and negative values.
    public let loss: Double?

    /// An update of `round` carrying `model`, trained on `samples` samples to a last-epoch `loss`.
    public init(round: UInt64, model: [UInt8], samples: UInt64, loss: Double? = nil) {
        self.round = round
        self.model = model
        self.samples = samples
        self.loss = loss
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
        model = try message.bytes("model")
        samples = try message.unsigned("samples")
        loss = message["loss"] == nil ? nil : try message.double("loss")
    }

    public var frame: Message {
        var frame = Message(type: Self.type, fields: ["round": .unsigned(round), "model": .bytes(model), "samples": .unsigned(samples)])
        if let loss { frame["loss"] = .float(loss) }
        return frame
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
