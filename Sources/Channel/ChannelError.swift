/// Why a channel operation failed: the peer's error frame, a refusal, bad input, or the connection itself.
///
/// `code` is always the protocol code that describes the failure, so a server can answer any
/// `ChannelError` with an `error` frame, and a role can throw one (`ChannelError(.noModel, "...")`)
/// to answer a request with an error.
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
    /// For a temporary refusal (`busy`): the seconds after which the request may be sent again.
    public let retryAfterSeconds: Int?

    /// An error this side reports to the peer, e.g. `ChannelError(.badRequest, "\"model\" is missing")`,
    /// with the seconds after which to retry if the refusal is temporary.
    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil) {
        self.init(kind: .local, code: code, message: message, retryAfterSeconds: retryAfterSeconds)
    }

    /// An error of any kind.
    public init(kind: Kind, code: ErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
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
