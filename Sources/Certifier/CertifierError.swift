/// Why the certifier could not set up, load its state, or start serving; the message names the file or
/// the part that is wrong, and what to do.
///
/// Equal when code and message are: the cause is there to be inspected, not compared.
public struct CertifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is, for a program to switch on; the message is for people.
    public enum Code: String, Sendable, Equatable {
        /// A setting given to the certifier is out of range or malformed (platforms, audit rotation, a secret id).
        case invalidSetting = "invalid-setting"
        /// `init` found a state there already and was not told to replace it.
        case stateExists = "state-exists"
        /// The folder holds no certifier state.
        case stateMissing = "state-missing"
        /// A file of the state does not parse, or does not match the others (a key and its certificate, a secret's size).
        case stateCorrupt = "state-corrupt"
        /// A file of the state cannot be read or written.
        case stateIO = "state-io"
        /// The issuing certificate is not a CA the policy key signed, has expired, or expires within the
        /// admission lifetime: `cml-certifier issuer` makes a new one.
        case issuerRefused = "issuer-refused"
        /// A certificate (the policy's own, or an admission) could not be made.
        case certificateFailed = "certificate-failed"
        /// A secret the policy releases is not there.
        case secretMissing = "secret-missing"
        /// The policy file cannot be read.
        case policyUnreadable = "policy-unreadable"
        /// The policy does not verify under the policy certificate, or its trust anchors are unusable.
        case policyRefused = "policy-refused"
        /// The audit log cannot be opened, written, rotated or read.
        case auditLogFailed = "audit-log-failed"
        /// A federation's freshness anchor cannot be read or written.
        case anchorStoreFailed = "anchor-store-failed"
        /// The revocation list cannot be read, written, locked or signed.
        case revocationListFailed = "revocation-list-failed"
        /// The shared store (PostgreSQL) cannot be reached, logged into, read or written.
        case storeFailed = "store-failed"
        /// The shared store (PostgreSQL) is out of reach for now (it cannot be reached, or the connection
        /// broke): the request is answered `unavailable`, and the next one connects again.
        case storeUnavailable = "store-unavailable"
        /// The shared store's schema is older or newer than this certifier knows.
        case storeSchema = "store-schema"
    }

    /// What kind of failure it is.
    public let code: Code
    /// What was wrong.
    public let message: String
    /// The error underneath (a PolicyError, an OpenSSLError, a FileError, ...), when this one wraps one;
    /// its words are already in `message`.
    public let cause: (any Error)?

    /// An error of `code` saying `message`, caused by `cause` if given.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message.
    public var description: String { message }

    /// Whether `lhs` and `rhs` have the same code and message.
    public static func == (lhs: CertifierError, rhs: CertifierError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}
