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

/// The verdict on a token: which steps passed, which were not run, and for a rejection, why.
public struct VerificationResult: Sendable {
    /// The decoded token; nil when decoding failed.
    public let token: CCAToken?
    /// The steps that passed, in order.
    public let passed: [VerificationStep]
    /// Steps not run because there was nothing to check: freshness without an expected challenge,
    /// and the realm steps for a bare platform token.
    public let skipped: [VerificationStep]
    /// The first step that failed, and why; nil when the token verified.
    public let failure: VerificationFailure?
    /// The trusted platform key whose signature verified.
    public let trustAnchor: PlatformTrustAnchor?

    /// Whether every step that ran passed.
    public var isVerified: Bool { failure == nil }

    /// A result; `failure` nil means verified.
    public init(
        token: CCAToken?, passed: [VerificationStep], skipped: [VerificationStep], failure: VerificationFailure?,
        trustAnchor: PlatformTrustAnchor?
    ) {
        self.token = token
        self.passed = passed
        self.skipped = skipped
        self.failure = failure
        self.trustAnchor = trustAnchor
    }
}
