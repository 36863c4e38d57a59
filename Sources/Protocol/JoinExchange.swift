public import Channel

// `join`: in FL mode a device asks, before it trains, whether it takes part in the open round. Under a
// policy with fl.privacy the runtime draws that (Poisson sampling) and a device left out is refused
// `not-sampled`; without fl.privacy every device takes part.

/// `{"type": "join", "round": uint}`, from a device.
public struct JoinRequest: TypedMessage, Equatable {
    public static let type = "join"
    /// The round the device means to train for.
    public let round: UInt64

    /// A request to take part in `round`.
    public init(round: UInt64) {
        self.round = round
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
    }

    public var frame: Message { Message(type: Self.type, fields: ["round": .unsigned(round)]) }
}

/// `{"type": "join-ack", "round": uint}`: the device takes part in `round`; its update will be admitted.
public struct JoinAck: TypedMessage, Equatable {
    public static let type = "join-ack"
    /// The round the device takes part in.
    public let round: UInt64

    /// An acknowledgement that the device takes part in `round`.
    public init(round: UInt64) {
        self.round = round
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
    }

    public var frame: Message { Message(type: Self.type, fields: ["round": .unsigned(round)]) }
}
