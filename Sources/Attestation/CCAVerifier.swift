import ByteKit
public import CBORKit
import OpenSSLKit

/// Verifies CCA attestation tokens against trusted platform keys, running every step of CCA-TOKEN.md in
/// order and stopping at the first that fails: decode, platform signature, realm signature, binding,
/// freshness. (Appraisal against reference values belongs to the policy, not here.)
public struct CCAVerifier: Sendable {
    /// The trusted platform keys.
    public let trustAnchors: [PlatformTrustAnchor]
    /// The decoder limits applied to token input.
    public let limits: CBORDecoder.Limits

    /// A verifier trusting `trustAnchors`; with several, the token's instance ID picks the key.
    public init(trustAnchors: [PlatformTrustAnchor], limits: CBORDecoder.Limits = CCAToken.decoderLimits) {
        self.trustAnchors = trustAnchors
        self.limits = limits
    }

    /// Decodes and verifies `bytes`. `challenge` is the expected realm challenge: 64 bytes, or a shorter
    /// nonce compared after zero-padding to 64; nil skips the freshness step.
    public func verify(_ bytes: [UInt8], challenge: [UInt8]? = nil) -> VerificationVerdict {
        let token: CCAToken
        do {
            token = try CCAToken(decoding: bytes, limits: limits)
        } catch {
            return .rejected(VerificationFailure(.decode, error.message), passed: [], token: nil)
        }
        return verify(token, challenge: challenge)
    }

    /// Verifies an already decoded token (the decode step counts as passed).
    public func verify(_ token: CCAToken, challenge: [UInt8]? = nil) -> VerificationVerdict {
        var passed: [VerificationStep] = [.decode]
        func rejected(_ step: VerificationStep, _ reason: String) -> VerificationVerdict {
            .rejected(VerificationFailure(step, reason), passed: passed, token: token)
        }
        func verified(skipping skipped: [VerificationStep], anchor: PlatformTrustAnchor) -> VerificationVerdict {
            .verified(VerifiedToken(token: token, passed: passed, skipped: skipped, trustAnchor: anchor))
        }

        let anchor: PlatformTrustAnchor
        switch platformAnchor(for: token) {
        case .success(let found): anchor = found
        case .failure(let failure): return rejected(.platformSignature, failure.reason)
        }
        passed.append(.platformSignature)

        guard let realm = token.realm, let realmClaims = token.realmClaims else {
            if let challenge {
                return rejected(
                    .freshness, "a bare platform token carries no realm challenge to compare with the expected \(Hex.short(challenge))")
            }
            return verified(skipping: [.realmSignature, .binding, .freshness], anchor: anchor)
        }

        let rak = realmClaims.publicKey
        if let reason = Self.signatureProblem(realm, key: rak.key, keyName: "the realm public key (claim 44237, \(rak.encoding))") {
            return rejected(.realmSignature, reason)
        }
        passed.append(.realmSignature)

        if let reason = Self.bindingProblem(platform: token.platformClaims, realm: realmClaims) {
            return rejected(.binding, reason)
        }
        passed.append(.binding)

        guard let challenge else {
            return verified(skipping: [.freshness], anchor: anchor)
        }
        if let reason = Self.freshnessProblem(realm: realmClaims, expected: challenge) {
            return rejected(.freshness, reason)
        }
        passed.append(.freshness)
        return verified(skipping: [], anchor: anchor)
    }

    /// The trusted key whose signature verifies: anchors for the token's instance ID, or failing those,
    /// anchors tied to no instance.
    private func platformAnchor(for token: CCAToken) -> Result<PlatformTrustAnchor, VerificationFailure> {
        let claims = token.platformClaims
        let instance = Hex.short(claims.instanceID, count: 8)
        var candidates = trustAnchors.filter { $0.instanceID == claims.instanceID }
        if candidates.isEmpty { candidates = trustAnchors.filter { $0.instanceID == nil } }
        guard !candidates.isEmpty else {
            let known = trustAnchors.compactMap { $0.instanceID.map { Hex.short($0, count: 8) } }.joined(separator: ", ")
            let reason = trustAnchors.isEmpty
                ? "no trusted platform keys were given"
                : "no trusted platform key for instance ID \(instance) (claim 256); the trusted keys are for \(known)"
            return .failure(VerificationFailure(.platformSignature, reason))
        }
        var reasons: [String] = []
        for anchor in candidates {
            if let implementation = anchor.implementationID, implementation != claims.implementationID {
                reasons.append(
                    "the implementation ID \(Hex.short(claims.implementationID, count: 8)) (claim 2396) is not the trusted \(Hex.short(implementation, count: 8))")
                continue
            }
            let keyName = "the trusted platform key \(Hex.short(anchor.key.rawPoint, count: 5))"
                + (anchor.instanceID == nil ? "" : " for instance \(instance)")
            if let reason = Self.signatureProblem(token.platform, key: anchor.key, keyName: keyName) {
                reasons.append(reason)
                continue
            }
            return .success(anchor)
        }
        return .failure(VerificationFailure(.platformSignature, reasons.joined(separator: "; ")))
    }

    /// Why `message` is not validly signed by `key`, or nil if it is.
    private static func signatureProblem(_ message: COSESign1, key: ECPublicKey, keyName: String) -> String? {
        guard message.algorithm.curve == key.curve else {
            return "the token is signed \(message.algorithm), which needs a \(message.algorithm.curve) key, but \(keyName) is \(key.curve)"
        }
        guard message.signature.count == key.curve.signatureSize else {
            return "the signature has \(quantity(message.signature.count, "byte")), \(message.algorithm) signatures have \(key.curve.signatureSize)"
        }
        guard message.isValidSignature(with: key) else {
            return "the \(message.algorithm) signature does not verify with \(keyName)"
        }
        return nil
    }

    /// Why the platform challenge is not the hash of the RAK's exact claim bytes, or nil if it is.
    private static func bindingProblem(platform: PlatformClaims, realm: RealmClaims) -> String? {
        guard let digest = realm.publicKeyDigest else {
            return "claim 44240 (public key hash algorithm ID) names \(quotedClaim(realm.publicKeyHashAlgorithm)), not sha-256, sha-384 or sha-512"
        }
        let hash = realm.publicKey.bindingHash(digest)
        guard ConstantTime.equals(hash, platform.challenge) else {
            return "the platform challenge \(Hex.short(platform.challenge)) is not \(digest) of the realm public key (\(Hex.short(hash)))"
        }
        return nil
    }

    /// Why the realm challenge is not the expected one, or nil if it is.
    private static func freshnessProblem(realm: RealmClaims, expected: [UInt8]) -> String? {
        guard let padded = RealmChallenge.padded(expected) else {
            return "the expected challenge has \(quantity(expected.count, "byte")); it must have 1 to \(RealmChallenge.size)"
        }
        guard ConstantTime.equals(padded, realm.challenge) else {
            let note = expected.count < RealmChallenge.size ? " (a \(expected.count)-byte nonce zero-padded to 64 bytes)" : ""
            // Show enough bytes that the two shown values differ: challenges may share a long prefix.
            let firstDifference = zip(padded, realm.challenge).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
            let shown = max(4, firstDifference + 1)
            return "the realm challenge \(Hex.short(realm.challenge, count: shown)) is not the expected \(Hex.short(padded, count: shown))\(note)"
        }
        return nil
    }
}
