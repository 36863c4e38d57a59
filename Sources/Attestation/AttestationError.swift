public import CBORKit

/// Why a token, a COSE_Sign1, a claim or a trust anchor was refused.
///
/// Equal when code, claim and message are: the cause is there to be inspected, not compared.
public struct AttestationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for code that reacts to it; people read `message`.
    public enum Code: Sendable, Equatable {
        /// The bytes are not one well-formed CBOR item within the decoder's limits (CBORKit's code says why).
        case cbor(CBORError.Code)
        /// Well-formed CBOR of the wrong shape: wrapper, COSE_Sign1, header or COSE_Key.
        case structure
        /// A mandatory claim is absent.
        case missingClaim
        /// A claim holds the wrong CBOR type.
        case wrongType
        /// A claim has the wrong number of bytes or items.
        case wrongSize
        /// A claim has the right type and size but a value outside what is allowed.
        case invalidValue
        /// An algorithm that is missing, unknown, or not the one the key needs.
        case unsupportedAlgorithm
        /// A key or trust anchor that cannot be read or is not a point on its curve.
        case invalidKey
    }

    /// The kind of failure.
    public let code: Code
    /// The claim key involved, when one is.
    public let claim: Int?
    /// What was wrong, naming the token part and the claim, in words.
    public let message: String
    /// The error underneath (a CBORError, an OpenSSLError, a FileError), when this one wraps one; its
    /// words are already in `message`.
    public let cause: (any Error)?

    /// An error of `code` about `claim` (if any), explained by `message`, caused by `cause` if given.
    public init(_ code: Code, claim: Int? = nil, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.claim = claim
        self.message = message
        self.cause = cause
    }

    /// The message.
    public var description: String { message }

    /// Whether `lhs` and `rhs` have the same code, claim and message.
    public static func == (lhs: AttestationError, rhs: AttestationError) -> Bool {
        lhs.code == rhs.code && lhs.claim == rhs.claim && lhs.message == rhs.message
    }

    /// The same error with `context` (e.g. "platform token") in front of its message, and about
    /// `claim` instead when given (an error inside a claim's value is about the claim).
    func within(_ context: String, claim outer: Int? = nil) -> AttestationError {
        AttestationError(code, claim: outer ?? claim, "\(context): \(message)", cause: cause)
    }
}
