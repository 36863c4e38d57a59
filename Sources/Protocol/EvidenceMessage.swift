public import Channel

/// `{"type": "evidence", "role": text, "token": bstr, "public-key": bstr, ?"nonce": bstr}`: a client's attestation.
public struct EvidenceMessage: TypedMessage, Equatable {
    /// "evidence".
    public static let type = "evidence"

    /// The role the client asks to be admitted as.
    public let role: String
    /// The CCA attestation token, whose realm challenge is `SHA-512(nonce || publicKey)`.
    public let token: [UInt8]
    /// The DER SubjectPublicKeyInfo of the TLS key the client just made.
    public let publicKey: [UInt8]
    /// The nonce the token answers, when the client names it (optional): certifier replicas sharing a
    /// store redeem a nonce that another replica issued; without it, the connection's nonce is redeemed.
    public let nonce: [UInt8]?

    /// Evidence for `role`, naming `nonce` if given.
    public init(role: String, token: [UInt8], publicKey: [UInt8], nonce: [UInt8]? = nil) {
        self.role = role
        self.token = token
        self.publicKey = publicKey
        self.nonce = nonce
    }

    /// Reads `role`, `token` and `public-key`.
    public init(fields message: Message) throws(ChannelError) {
        role = try message.text("role")
        token = try message.bytes("token")
        publicKey = try message.bytes("public-key")
        nonce = message["nonce"] == nil ? nil : try message.bytes("nonce")
    }

    /// The frame.
    public var frame: Message {
        var message = Message(type: Self.type, fields: ["role": .text(role), "token": .bytes(token), "public-key": .bytes(publicKey)])
        if let nonce { message["nonce"] = .bytes(nonce) }
        return message
    }
}
