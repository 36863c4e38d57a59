/// Why CBOR input was refused, and at which byte.
public struct CBORError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure, for code that reacts to it; people read `message`.
    public enum Code: Sendable, Equatable {
        /// The input ends before the item does, or a declared length runs past its end.
        case truncated
        /// The bytes are not well-formed CBOR (reserved values, misplaced break, bad chunk).
        case malformed
        /// One complete item was decoded but bytes follow it.
        case trailingBytes
        /// A map holds two equal keys.
        case duplicateMapKey
        /// Containers and tags nest deeper than the decoder's limit.
        case tooDeep
        /// The input, a string or a container exceeds a decoder limit.
        case tooLarge
        /// A text string is not valid UTF-8.
        case invalidUTF8
    }

    /// The kind of failure.
    public let code: Code
    /// The byte offset in the input where the offending item starts (nil when not decoding).
    public let offset: Int?
    /// What was wrong and where, in words.
    public let message: String

    /// Makes an error; `message` should name what was wrong and, when decoding, the offset.
    public init(_ code: Code, offset: Int?, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// "CBOR: " and the message.
    public var description: String { "CBOR: " + message }
}
