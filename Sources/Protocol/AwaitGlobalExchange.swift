public import Channel

// `await-global`: in FL mode a device that uploaded its update waits for the global model of the next
// round; the runtime answers with a `model` message (see GetModelExchange.swift) once it is published.

/// `{"type": "await-global", "round": uint}`, from a device.
public struct AwaitGlobalRequest: TypedMessage, Equatable {
    public static let type = "await-global"
    /// The round whose global model (or a later one) the device waits for.
    public let round: UInt64

    /// A request to wait for the global model of `round`.
    public init(round: UInt64) {
        self.round = round
    }

    public init(fields message: Message) throws(ChannelError) {
        round = try message.unsigned("round")
    }

    public var frame: Message { Message(type: Self.type, fields: ["round": .unsigned(round)]) }
}
