public import Channel

/// `{"type": "nonce", "nonce": bstr(32), "expires": uint}`: the certifier's answer to a nonce request.
public struct NonceMessage: TypedMessage, Equatable {
    /// "nonce".
    public static let type = "nonce"

    /// The single-use nonce.
    public let nonce: [UInt8]
    /// When it stops being accepted, in Unix seconds.
    public let expires: UInt64

    /// A nonce answer.
    public init(nonce: [UInt8], expires: UInt64) {
        self.nonce = nonce
        self.expires = expires
    }

    /// Reads `nonce` and `expires`.
    public init(fields message: Message) throws(ChannelError) {
        nonce = try message.bytes("nonce")
        expires = try message.unsigned("expires")
        guard !nonce.isEmpty else { throw ChannelError(.badRequest, "\"nonce\" is empty") }
    }

    /// The frame.
    public var frame: Message {
        Message(type: Self.type, fields: ["nonce": .bytes(nonce), "expires": .unsigned(expires)])
    }
}
