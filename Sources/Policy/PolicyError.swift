/// Why a policy could not be read, filled in, signed or trusted.
///
/// Equal when path and reason are: the cause is there to be inspected, not compared.
public struct PolicyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Where in the document, as a dotted path such as `roles.runtime.initial-measurements[0]`; empty for the whole.
    public let path: String
    /// What was wrong there.
    public let reason: String
    /// The error underneath (an OpenSSLError, an AttestationError, a JSON parse), when this one wraps
    /// one; its words are already in `reason`.
    public let cause: (any Error)?

    /// An error at `path` (empty: the whole document) for `reason`, caused by `cause` if given.
    public init(path: String = "", _ reason: String, cause: (any Error)? = nil) {
        self.path = path
        self.reason = reason
        self.cause = cause
    }

    /// "path: reason", or the reason alone for the whole document.
    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }

    /// Whether `lhs` and `rhs` have the same path and reason.
    public static func == (lhs: PolicyError, rhs: PolicyError) -> Bool {
        lhs.path == rhs.path && lhs.reason == rhs.reason
    }
}
