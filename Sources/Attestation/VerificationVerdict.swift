/// The verdict on a token: verified, or rejected at a step with a reason.
public enum VerificationVerdict: Sendable {
    /// Every step that ran passed; only a verifier makes a `VerifiedToken`.
    case verified(VerifiedToken)
    /// `failure.step` failed for `failure.reason` after the steps `passed`; `token` is the decoded (and
    /// so unverified) token, nil when decoding failed.
    case rejected(VerificationFailure, passed: [VerificationStep], token: CCAToken?)

    /// The verified token; nil for a rejection.
    public var verifiedToken: VerifiedToken? {
        if case .verified(let token) = self { return token }
        return nil
    }

    /// Whether every step that ran passed.
    public var isVerified: Bool { verifiedToken != nil }

    /// The step that failed, and why; nil when the token verified.
    public var failure: VerificationFailure? {
        if case .rejected(let failure, _, _) = self { return failure }
        return nil
    }

    /// The steps that passed, in order.
    public var passed: [VerificationStep] {
        switch self {
        case .verified(let token): token.passed
        case .rejected(_, let passed, _): passed
        }
    }

    /// Steps not run because there was nothing to check (empty for a rejection).
    public var skipped: [VerificationStep] { verifiedToken?.skipped ?? [] }

    /// The decoded token, verified or not; nil when decoding failed. Only for reports: appraisal takes a
    /// `VerifiedToken`.
    public var decodedToken: CCAToken? {
        switch self {
        case .verified(let verified): verified.token
        case .rejected(_, _, let token): token
        }
    }
}
