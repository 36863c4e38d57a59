/// Why a trusted certificate is not a usable admission certificate.
public struct AdmissionCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, worded to follow "its certificate " or "the admission certificate ",
    /// e.g. "names no role (no cml:role:<role> URI)".
    public let reason: String

    /// An error for `reason`.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
