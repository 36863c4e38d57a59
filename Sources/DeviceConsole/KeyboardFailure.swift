/// Why the keyboard page's request was not done, in words the page shows; `kind` picks the HTTP status.
public struct KeyboardFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is.
    public enum Kind: Sendable, Equatable {
        /// The request's prefix or word is not one the model takes, or its body is not JSON (400).
        case badInput
        /// The request came from a page of another origin (403).
        case crossOrigin
        /// The device refused the runtime: its admission is not this domain's, or it is revoked (503).
        case refused
        /// The device has no runtime to use: unreachable, the other mode, or no model yet (503).
        case unavailable
        /// The runtime (ML) or the round (FL) did not train on the word (502).
        case failed
    }

    /// What kind of failure it is.
    public let kind: Kind
    /// What went wrong, in words.
    public let message: String

    /// A failure of `kind`, saying `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
