public import Foundation
public import OpenSSLKit
import Channel

/// Issues admission certificates under the policy key: X.509 v3, subject CN = role, SAN URI
/// `cml:role:<role>`, the measurement in the realm measurement extension, a random 128-bit serial,
/// digitalSignature, serverAuth and clientAuth, valid from a minute ago (clock skew) for `lifetime`.
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

    /// A certificate for `subjectKey` naming `role`, with `measurement` when an attestation produced one.
    public func issue(role: String, measurement: [UInt8]?, subjectKey: ECPublicKey, now: Date = Date()) throws(CertifierError) -> Certificate {
        var builder = CertificateBuilder(
            subjectCommonName: role, subjectPublicKey: subjectKey, notBefore: now - Self.clockSkew, notAfter: now + lifetime)
        builder.uriSubjectAlternativeNames = [PeerIdentity.roleURI(role)]
        if let measurement {
            builder.customExtensions = [
                .init(oid: RealmMeasurementExtension.oid, value: RealmMeasurementExtension.value(measurement: measurement))
            ]
        }
        do {
            return try builder.issued(by: policyCertificate, issuerKey: policyKey)
        } catch {
            throw CertifierError("cannot issue a certificate for \(role): \(error)")
        }
    }
}
