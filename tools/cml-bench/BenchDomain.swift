import Foundation
import OpenSSLKit
import Policy

/// A domain made for a bench run: a P-384 root issuing P-256 admission certificates, as the certifier does.
struct BenchDomain {
    let rootKey: ECPrivateKey
    let root: Certificate

    /// A domain of `root`, whose key is `rootKey` (a certifier's policy key and certificate).
    init(rootKey: ECPrivateKey, root: Certificate) {
        self.rootKey = rootKey
        self.root = root
    }

    init() throws {
        rootKey = ECPrivateKey(generating: .p384)
        root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: rootKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
    }

    /// A fresh admission certificate and key for `role`, with a random measurement.
    func identity(_ role: Role) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        let certificate = try AdmissionCertificate.issue(
            role: role, measurement: SecureRandom.bytes(32), subjectKey: key.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, policyKey: rootKey, policyCertificate: root)
        return TLSIdentity(certificate: certificate, privateKey: key)
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
