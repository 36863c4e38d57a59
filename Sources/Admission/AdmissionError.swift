/// Why a role could not be admitted, or could not load its credentials: the certifier's reason, a
/// connection failure, or a state directory that is missing or inconsistent, in words.
///
/// Equal when kind, code and message are: the cause is there to be inspected, not compared.
public struct AdmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is, for a program to switch on; the message is for people.
    public enum Kind: String, Sendable, Equatable {
        /// The certifier could not be reached, or its certificate was refused.
        case unreachable
        /// The attester could not make a token.
        case attesterFailed = "attester-failed"
        /// The certifier refused the attestation; `code` is its error code.
        case refused
        /// The exchange with the certifier failed other than by a refusal (closed, timed out, an odd answer).
        case exchangeFailed = "exchange-failed"
        /// The certifier's answer is not a usable admission (a certificate or a secret name that does not parse).
        case invalidAnswer = "invalid-answer"
        /// An admission certificate fails its checks (key, issuer, validity, role).
        case certificateInvalid = "certificate-invalid"
        /// The signed policy does not verify, or is not the one the admission certificate was issued under.
        case policyInvalid = "policy-invalid"
        /// The state directory holds no admission for the role.
        case notAdmitted = "not-admitted"
        /// The admission certificate has expired.
        case expired
        /// A file of the admission cannot be read, listed or written.
        case stateIO = "state-io"
        /// The TLS context cannot be made from the credentials.
        case tlsContextFailed = "tls-context-failed"
    }

    /// What kind of failure it is.
    public let kind: Kind
    /// The certifier's error code when it refused (e.g. "appraisal-failed"); nil for local failures.
    public let code: String?
    /// What was wrong, and what to do.
    public let message: String
    /// The error underneath (a ChannelError, an OpenSSLError, a PolicyError, a FileError, ...), when
    /// this one wraps one; its words are already in `message`.
    public let cause: (any Error)?

    /// An error of `kind` saying `message`, with the certifier's `code` if it refused, caused by `cause` if given.
    public init(_ kind: Kind, _ message: String, code: String? = nil, cause: (any Error)? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message.
    public var description: String { message }

    /// Whether `lhs` and `rhs` have the same kind, code and message.
    public static func == (lhs: AdmissionError, rhs: AdmissionError) -> Bool {
        lhs.kind == rhs.kind && lhs.code == rhs.code && lhs.message == rhs.message
    }
}
