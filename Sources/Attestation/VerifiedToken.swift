/// A CCA token that `CCAVerifier` verified: decoded, the platform signature from a trusted key, and for
/// a realm token, the realm signature, the binding and (when asked) freshness.
///
/// Only the verifier makes one (its initializer is not public), so code that takes a `VerifiedToken`
/// cannot be handed a token that was not verified.
public struct VerifiedToken: Sendable {
    /// The decoded token.
    public let token: CCAToken
    /// The steps that passed, in order.
    public let passed: [VerificationStep]
    /// Steps not run because there was nothing to check: freshness without an expected challenge,
    /// and the realm steps for a bare platform token.
    public let skipped: [VerificationStep]
    /// The trusted platform key whose signature verified.
    public let trustAnchor: PlatformTrustAnchor

    /// The platform claims.
    public var platformClaims: PlatformClaims { token.platformClaims }
    /// The realm claims; nil for a bare platform token, which measures no program.
    public var realmClaims: RealmClaims? { token.realmClaims }

    /// Made by `CCAVerifier` once every step that ran passed.
    init(token: CCAToken, passed: [VerificationStep], skipped: [VerificationStep], trustAnchor: PlatformTrustAnchor) {
        self.token = token
        self.passed = passed
        self.skipped = skipped
        self.trustAnchor = trustAnchor
    }
}
