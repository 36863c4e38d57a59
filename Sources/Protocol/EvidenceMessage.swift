public import Channel

/// `{"type": "evidence", "role": text, "token": bstr, "public-key": bstr}`: a client's attestation.
public struct EvidenceMessage: TypedMessage, Equatable {
    /// "evidence".
    public static let type = "evidence"

    /// The role the client asks to be admitted as.
    public let role: String
    /// The CCA attestation token, whose realm challenge is `SHA-512(nonce || publicKey)`.
    public let token: [UInt8]
    /// The DER SubjectPublicKeyInfo of the TLS key the client just made.
    public let publicKey: [UInt8]

    /// Evidence for `role`.
    public init(role: String, token: [UInt8], publicKey: [UInt8]) {
        self.role = role
        self.token = token
        self.publicKey = publicKey
    }

    /// Reads `role`, `token` and `public-key`.
    public init(fields message: Message) throws(ChannelError) {
        role = try message.text("role")
        token = try message.bytes("token")
        publicKey = try message.bytes("public-key")
    }

    /// The frame.
    public var frame: Message {
        Message(type: Self.type, fields: ["role": .text(role), "token": .bytes(token), "public-key": .bytes(publicKey)])
    }
}
