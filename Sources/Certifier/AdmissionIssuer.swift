public import Foundation
public import OpenSSLKit
public import Policy

/// Issues admission certificates (see `AdmissionCertificate`) under the issuing key, valid from a minute
/// ago (clock skew) for `lifetime`, and never beyond the issuing certificate's own expiry (a peer would
/// refuse the chain from then on anyway).
public struct AdmissionIssuer: Sendable {
    /// The key that signs the certificates: the issuing key, never the policy key.
    public let issuingKey: ECPrivateKey
    /// The issuing key's certificate, named as issuer and sent with each certificate.
    public let issuingCertificate: Certificate
    /// How long a certificate is valid.
    public let lifetime: TimeInterval
    /// How far back notBefore is set, so that a peer whose clock is a little behind accepts it.
    public static let clockSkew: TimeInterval = 60

    /// An issuer signing with `issuingKey` under `issuingCertificate`.
    public init(issuingKey: ECPrivateKey, issuingCertificate: Certificate, lifetime: TimeInterval) {
        self.issuingKey = issuingKey
        self.issuingCertificate = issuingCertificate
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
                notAfter: min(now + lifetime, issuingCertificate.notAfter), issuerKey: issuingKey, issuerCertificate: issuingCertificate)
        } catch {
            throw CertifierError(.certificateFailed, "cannot issue a certificate for \(role): \(error)", cause: error)
        }
    }
}
