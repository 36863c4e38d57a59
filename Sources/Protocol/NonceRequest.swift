public import Channel

/// `{"type": "nonce-request"}`: a client asks the certifier for a fresh nonce.
public struct NonceRequest: TypedMessage, Equatable {
    /// "nonce-request".
    public static let type = "nonce-request"

    /// The request (it has no fields).
    public init() {}

    /// Reads the request; it has no fields to check.
    public init(fields message: Message) throws(ChannelError) {}

    /// The frame.
    public var frame: Message { Message(type: Self.type) }
}
