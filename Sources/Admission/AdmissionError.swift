/// Why a role could not be admitted, or could not load its credentials: the certifier's reason, a
/// connection failure, or a state directory that is missing or inconsistent, in words.
public struct AdmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The certifier's error code when it refused (e.g. "appraisal-failed"); nil for local failures.
    public let code: String?
    /// What was wrong, and what to do.
    public let message: String

    /// An error saying `message`, with the certifier's `code` if it refused.
    public init(_ message: String, code: String? = nil) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
