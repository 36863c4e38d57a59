/// Why verification failed: the step, and a reason in words that names the claim or key involved.
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The step that failed.
    public let step: VerificationStep
    /// What was wrong, e.g. "the platform challenge 07060504... is not sha-256 of the realm public key (b5973cb6...)".
    public let reason: String

    /// A failure of `step` for `reason`.
    public init(_ step: VerificationStep, _ reason: String) {
        self.step = step
        self.reason = reason
    }

    /// "step: reason".
    public var description: String { "\(step): \(reason)" }
}
