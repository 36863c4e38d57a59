public import Channel

/// `{"type": "revocations"}`: an admitted peer asks the certifier for the domain's revocation list.
public struct RevocationsRequest: TypedMessage, Equatable {
    /// "revocations".
    public static let type = "revocations"

    /// The request (it has no fields).
    public init() {}

    /// Reads the request; it has no fields to check.
    public init(fields message: Message) throws(ChannelError) {}

    /// The frame.
    public var frame: Message { Message(type: Self.type) }
}

/// `{"type": "revocation-list", "list": bstr}`: the certifier's answer, the revocation list signed by the
/// policy key (a COSE_Sign1 of its JSON, with a version and an issue time; see `RevocationList`).
public struct RevocationsMessage: TypedMessage, Equatable {
    /// "revocation-list".
    public static let type = "revocation-list"

    /// The signed list.
    public let list: [UInt8]

    /// The answer carrying `list`.
    public init(list: [UInt8]) {
        self.list = list
    }

    /// Reads the field.
    public init(fields message: Message) throws(ChannelError) {
        list = try message.bytes("list")
    }

    /// The frame.
    public var frame: Message { Message(type: Self.type, fields: ["list": .bytes(list)]) }
}
