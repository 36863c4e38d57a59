/// The `code` of an `error` frame, as docs/protocol.md lists them.
///
/// Channel declares the codes of any endpoint, the ones it sends itself when it refuses a frame, a peer
/// or a slow connection (`malformed-frame`, `not-authorized`, `timeout`, ...). The application protocol
/// declares its own codes (`no-model`, `wrong-round`, `nonce-reused`, ...) in the Protocol module as
/// extensions of this type. So it is an open set of names rather than an enum: the error frame is the
/// one frame both layers send, and the transport must not list the codes of the requests it carries.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as it travels, e.g. "malformed-frame".
    public let rawValue: String

    /// The code named `rawValue`.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The frame is not a CBOR map with a text `type`, or is over the size limit.
    public static let malformedFrame = ErrorCode(rawValue: "malformed-frame")
    /// A known `type` with a missing or mistyped field; the message names the field.
    public static let badRequest = ErrorCode(rawValue: "bad-request")
    /// A `type` this endpoint does not serve.
    public static let unknownType = ErrorCode(rawValue: "unknown-type")
    /// The peer may not connect, or its role may not send this request.
    public static let notAuthorized = ErrorCode(rawValue: "not-authorized")
    /// A read or write took longer than the endpoint's timeout.
    public static let timeout = ErrorCode(rawValue: "timeout")
    /// Anything else; the message says what.
    public static let `internal` = ErrorCode(rawValue: "internal")

    /// The code as it travels, e.g. "malformed-frame".
    public var description: String { rawValue }
}
