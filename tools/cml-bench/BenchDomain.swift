import Foundation
import OpenSSLKit
import Policy

/// A domain made for a bench run: a P-384 root certifying a P-256 issuing key that issues P-256
/// admission certificates, as the certifier does; each identity presents the issuing certificate too.
struct BenchDomain {
    let root: Certificate
    let issuingKey: ECPrivateKey
    let issuing: Certificate

    /// A domain of `root` whose issuing key is `issuingKey` under `issuing` (a certifier's).
    init(root: Certificate, issuingKey: ECPrivateKey, issuing: Certificate) {
        self.root = root
        self.issuingKey = issuingKey
        self.issuing = issuing
    }

    init() throws {
        let rootKey = ECPrivateKey(generating: .p384)
        root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: rootKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
        issuingKey = ECPrivateKey(generating: .p256)
        issuing = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: rootKey, policyCertificate: root, lifetime: 86400)
    }

    /// A fresh admission certificate and key for `role`, with a random measurement.
    func identity(_ role: Role) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        let certificate = try AdmissionCertificate.issue(
            role: role, measurement: SecureRandom.bytes(32), subjectKey: key.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, issuerKey: issuingKey, issuerCertificate: issuing)
        return TLSIdentity(certificate: certificate, privateKey: key, chain: [issuing])
    }

    /// A mutual-TLS server context presenting a `role` certificate.
    func serverContext(_ role: Role) throws -> TLSContext {
        try TLSContext(side: .server, trustedRoot: root, identity: try identity(role), requestPeerCertificate: true)
    }

    /// A client context presenting a `role` certificate.
    func clientContext(_ role: Role) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root, identity: try identity(role))
    }
}
