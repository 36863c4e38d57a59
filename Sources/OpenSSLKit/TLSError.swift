/// A TLS connection that failed: the peer closed it, a socket timeout fired, the handshake or the I/O failed.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, so that callers can answer a timeout differently from a closed connection.
    public enum Kind: Sendable, Equatable {
        /// The peer closed the connection (cleanly or not) or reset it.
        case closed
        /// The socket's receive or send timeout fired.
        case timeout
        /// The TLS handshake failed; the message carries OpenSSL's reason.
        case handshakeFailed
        /// Reading or writing failed for another reason.
        case ioFailed
    }

    /// What kind of failure.
    public let kind: Kind
    /// What happened, in words.
    public let message: String

    /// An error of `kind` saying `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
