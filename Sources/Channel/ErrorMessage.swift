/// The body of an `error` frame: `{"type": "error", "code": text, "message": text}`.
public struct ErrorMessage: Sendable, Equatable, CustomStringConvertible {
    /// The frame `type` of an error.
    public static let type = "error"

    /// What kind of error.
    public let code: ErrorCode
    /// What was wrong, in words.
    public let message: String

    /// An error message with `code` saying `message`.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error in an `error` frame; a code this side does not know becomes `internal`, keeping its text.
    public init(_ frame: Message) throws(ChannelError) {
        guard frame.type == Self.type else {
            throw ChannelError(.badRequest, "expected an \"error\" frame, got \"\(frame.type)\"")
        }
        let text = try frame.text("code")
        let message = try frame.text("message")
        if let code = ErrorCode(rawValue: text) {
            self.init(code, message)
        } else {
            self.init(.internal, "(code \"\(text)\") \(message)")
        }
    }

    /// The frame that carries this error.
    public var frame: Message {
        Message(type: Self.type, fields: ["code": .text(code.rawValue), "message": .text(message)])
    }

    /// "code: message".
    public var description: String { "\(code): \(message)" }
}
