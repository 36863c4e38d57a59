/// Why a channel operation failed: the peer's error frame, a refusal, bad input, or the connection itself.
///
/// `code` is always the protocol code that describes the failure, so a server can answer any
/// `ChannelError` with an `error` frame, and a role can throw one (`ChannelError(.noModel, "...")`)
/// to answer a request with an error. Equal when kind, code and message are: the cause is there to be
/// inspected, not compared (and it never travels: the peer gets the code and the message).
public struct ChannelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the failure came from.
    public enum Kind: Sendable, Equatable {
        /// This side objects to what the peer sent or asked (the peer should be told with an error frame).
        case local
        /// The peer answered with an error frame; `code` and `message` are the peer's.
        case remote
        /// This side refused the peer's certificate or role.
        case refused
        /// The peer closed the connection.
        case closed
        /// A read or write timed out.
        case timeout
        /// Connecting, the TLS handshake, or socket I/O failed.
        case transport
    }

    /// Where the failure came from.
    public let kind: Kind
    /// The protocol code for it.
    public let code: ErrorCode
    /// What was wrong, in words.
    public let message: String
    /// The error underneath (a CBORError, a TLSError, a WordModelError, ...), when this one wraps one;
    /// its words are already in `message`.
    public let cause: (any Error)?
    /// For a temporary refusal (`busy`): the seconds after which the request may be sent again.
    public let retryAfterSeconds: Int?

    /// An error this side reports to the peer, e.g. `ChannelError(.badRequest, "\"model\" is missing")`,
    /// caused by `cause` if given, with the seconds after which to retry if the refusal is temporary.
    public init(_ code: ErrorCode, _ message: String, cause: (any Error)? = nil, retryAfterSeconds: Int? = nil) {
        self.init(kind: .local, code: code, message: message, cause: cause, retryAfterSeconds: retryAfterSeconds)
    }

    /// An error of any kind, caused by `cause` if given.
    public init(kind: Kind, code: ErrorCode, message: String, cause: (any Error)? = nil, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.cause = cause
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Whether `lhs` and `rhs` have the same kind, code, message and retry-after.
    public static func == (lhs: ChannelError, rhs: ChannelError) -> Bool {
        lhs.kind == rhs.kind && lhs.code == rhs.code && lhs.message == rhs.message && lhs.retryAfterSeconds == rhs.retryAfterSeconds
    }

    /// The error frame body that tells the peer about this error.
    public var errorMessage: ErrorMessage { ErrorMessage(code, message, retryAfterSeconds: retryAfterSeconds) }

    /// "code: message" for protocol errors, the message alone for refusals and connection failures.
    public var description: String {
        switch kind {
        case .local, .remote: "\(code): \(message)"
        case .refused, .closed, .timeout, .transport: message
        }
    }
}
