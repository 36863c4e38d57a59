public import Channel

/// A message with a fixed `type` and typed fields, such as one request or answer of docs/protocol.md.
///
/// Each exchange defines its messages (in Protocol, one file each); `ChannelClient.request(_:expecting:)`
/// and `Message.decode(as:)` convert between them and the generic `Message`.
public protocol TypedMessage: Sendable {
    /// The frame `type`, e.g. "nonce-request".
    static var type: String { get }
    /// Reads the fields of `message`, whose type is already checked; throws `bad-request` naming a bad field.
    init(fields message: Message) throws(ChannelError)
    /// The generic message that goes into a frame, `type` included.
    var frame: Message { get }
}

extension Message {
    /// This message as `Kind`; throws `unknown-type` if its type is another, or `bad-request` for a bad field.
    public func decode<Kind: TypedMessage>(as kind: Kind.Type) throws(ChannelError) -> Kind {
        guard type == Kind.type else {
            throw ChannelError(.unknownType, "expected \"\(Kind.type)\", got \"\(type)\"")
        }
        return try Kind(fields: self)
    }
}

extension ErrorMessage: TypedMessage {
    /// The fields of an `error` frame.
    public init(fields message: Message) throws(ChannelError) {
        try self.init(message)
    }
}

extension ChannelClient {
    /// Sends `request` and returns its answer as `Answer`; an `error` answer is thrown, and an answer of
    /// another type is an `unknown-type` error. `onSent` runs once the request is written.
    public func request<Answer: TypedMessage>(
        _ request: some TypedMessage, expecting answer: Answer.Type, onSent: () -> Void = {}
    ) throws(ChannelError) -> Answer {
        try self.request(request.frame, onSent: onSent).decode(as: Answer.self)
    }
}
