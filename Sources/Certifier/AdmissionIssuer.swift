public import Foundation
public import OpenSSLKit
public import Policy

/// Issues admission certificates (see `AdmissionCertificate`) under the policy key, valid from a minute
/// ago (clock skew) for `lifetime`.
public struct AdmissionIssuer: Sendable {
    /// The key that signs every certificate of the domain.
    public let policyKey: ECPrivateKey
    /// The domain's root, named as issuer.
    public let policyCertificate: Certificate
    /// How long a certificate is valid.
    public let lifetime: TimeInterval
    /// How far back notBefore is set, so that a peer whose clock is a little behind accepts it.
    public static let clockSkew: TimeInterval = 60

    /// An issuer signing with `policyKey` under `policyCertificate`.
    public init(policyKey: ECPrivateKey, policyCertificate: Certificate, lifetime: TimeInterval) {
        self.policyKey = policyKey
        self.policyCertificate = policyCertificate
        self.lifetime = lifetime
    }

    /// A certificate for `subjectKey` naming `role`, with `measurement` when an attestation produced one,
    /// and the SHA-256 of the signed policy and the platform's instance ID when given.
    public func issue(
        role: Role, measurement: [UInt8]?, policyHash: [UInt8]? = nil, platformInstance: [UInt8]? = nil, subjectKey: ECPublicKey,
        now: Date = Date()
    ) throws(CertifierError) -> Certificate {
        do {
            return try AdmissionCertificate.issue(
                role: role, measurement: measurement, policyHash: policyHash, platformInstance: platformInstance,
                subjectKey: subjectKey, notBefore: now - Self.clockSkew,
                notAfter: now + lifetime, policyKey: policyKey, policyCertificate: policyCertificate)
        } catch {
            throw CertifierError(.certificateFailed, "cannot issue a certificate for \(role): \(error)", cause: error)
        }
    }
}
