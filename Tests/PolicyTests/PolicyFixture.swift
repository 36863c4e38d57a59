import Attestation
import ByteKit
import Foundation
import OpenSSLKit
import Policy
import Testing

/// A policy made at test time around a fresh platform key, and tokens from that platform.
struct PolicyFixture {
    let platformKey = ECPrivateKey(generating: .p384)
    let policyKey = ECPrivateKey(generating: .p384)
    let runtime = [UInt8](repeating: 0x5e, count: 32)
    let device = [UInt8](repeating: 0xc4, count: 32)

    let policyCertificate: Certificate

    init() {
        // Self-signing a fresh P-384 key with fixed names cannot fail.
        policyCertificate = try! CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: policyKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: policyKey)
    }

    /// The ML template filled for this fixture.
    func policy(_ edit: (inout PolicyDocument) -> Void = { _ in }) throws -> PolicyDocument {
        var document = PolicyDocument(
            name: "confidential-ml, ML mode",
            roles: [
                "runtime": RolePolicy(initialMeasurements: [HexBytes(runtime)], secrets: ["sealing"]),
                "device": RolePolicy(initialMeasurements: [HexBytes(device)]),
            ],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [ChannelRule(from: "device", to: "runtime")])
        edit(&document)
        try document.validate()
        return document
    }

    /// A verified token from this fixture's platform (or `platform`) for a realm measuring `rim`.
    func token(
        rim: [UInt8], platform: ECPrivateKey? = nil, rems: [[UInt8]]? = nil, personalization: [UInt8]? = nil
    ) throws -> VerifiedToken {
        let bytes = try SimulatedPlatform.token(
            platformKey: platform ?? platformKey, rim: rim, rems: rems, personalization: personalization, challenge: [1, 2, 3])
        return try verified(bytes, platform: platform)
    }

    /// `bytes` as the verifier passes them, trusting this fixture's platform (or `platform`).
    func verified(_ bytes: [UInt8], platform: ECPrivateKey? = nil) throws -> VerifiedToken {
        let verdict = CCAVerifier(trustAnchors: [PlatformTrustAnchor(key: (platform ?? platformKey).publicKey)]).verify(bytes)
        return try #require(verdict.verifiedToken, "\(verdict.failure?.description ?? "")")
    }
}
