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

    /// The error in an `error` frame. Any code is kept (Channel does not know the application's codes,
    /// see `ErrorCode`), unless its text is not a code name: that becomes `internal`, keeping the text.
    public init(_ frame: Message) throws(ChannelError) {
        guard frame.type == Self.type else {
            throw ChannelError(.badRequest, "expected an \"error\" frame, got \"\(frame.type)\"")
        }
        let text = try frame.text("code")
        let message = try frame.text("message")
        if Self.isCodeName(text) {
            self.init(ErrorCode(rawValue: text), message)
        } else {
            self.init(.internal, "(code \"\(text)\") \(message)")
        }
    }

    /// The frame that carries this error.
    public var frame: Message {
        Message(type: Self.type, fields: ["code": .text(code.rawValue), "message": .text(message)])
    }

    /// Whether `text` reads as a code: 1 to 64 lowercase letters and hyphens.
    private static func isCodeName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    /// "code: message".
    public var description: String { "\(code): \(message)" }
}
