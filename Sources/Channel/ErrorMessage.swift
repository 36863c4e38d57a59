/// The body of an `error` frame: `{"type": "error", "code": text, "message": text}`, with
/// `"retry-after": uint` (seconds) when the refusal is temporary and says when to ask again.
public struct ErrorMessage: Sendable, Equatable, CustomStringConvertible {
    /// The frame `type` of an error.
    public static let type = "error"

    /// What kind of error.
    public let code: ErrorCode
    /// What was wrong, in words.
    public let message: String
    /// For a temporary refusal (`busy`): the seconds after which the request may be sent again.
    public let retryAfterSeconds: Int?

    /// The most seconds a `retry-after` may say: a peer's figure above it is read as this.
    public static let maximumRetryAfterSeconds = 3600

    /// An error message with `code` saying `message`, and when to retry if the refusal is temporary.
    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds.map { min(max($0, 0), Self.maximumRetryAfterSeconds) }
    }

    /// The error in an `error` frame. Any code is kept (Channel does not know the application's codes,
    /// see `ErrorCode`), unless its text is not a code name: that becomes `internal`, keeping the text.
    public init(_ frame: Message) throws(ChannelError) {
        guard frame.type == Self.type else {
            throw ChannelError(.badRequest, "expected an \"error\" frame, got \"\(frame.type)\"")
        }
        let text = try frame.text("code")
        let message = try frame.text("message")
        // A retry-after the peer sent but this side cannot read is dropped, not an error: the refusal stands.
        let retryAfter = frame["retry-after"]?.uint64.map { Int(min($0, UInt64(Self.maximumRetryAfterSeconds))) }
        if Self.isCodeName(text) {
            self.init(ErrorCode(rawValue: text), message, retryAfterSeconds: retryAfter)
        } else {
            self.init(.internal, "(code \"\(text)\") \(message)")
        }
    }

    /// The frame that carries this error.
    public var frame: Message {
        var frame = Message(type: Self.type, fields: ["code": .text(code.rawValue), "message": .text(message)])
        if let retryAfterSeconds { frame["retry-after"] = .unsigned(UInt64(retryAfterSeconds)) }
        return frame
    }

    /// Whether `text` reads as a code: 1 to 64 lowercase letters and hyphens.
    private static func isCodeName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    /// "code: message".
    public var description: String { "\(code): \(message)" }
}
