import Channel
import Foundation
import OpenSSLKit

/// A domain made for a bench run: a P-384 root issuing P-256 admission certificates, as the certifier does.
struct BenchDomain {
    let rootKey = ECPrivateKey(generating: .p384)
    let root: Certificate

    init() throws {
        root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: rootKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
    }

    /// A fresh admission certificate and key for `role`, with a random measurement.
    func identity(_ role: String) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: role, subjectPublicKey: key.publicKey, notBefore: Date() - 60, notAfter: Date() + 86400)
        builder.uriSubjectAlternativeNames = [PeerIdentity.roleURI(role)]
        builder.customExtensions = [
            .init(oid: RealmMeasurementExtension.oid, value: RealmMeasurementExtension.value(measurement: SecureRandom.bytes(32)))
        ]
        return TLSIdentity(certificate: try builder.issued(by: root, issuerKey: rootKey), privateKey: key)
    }

    /// A mutual-TLS server context presenting a `role` certificate.
    func serverContext(_ role: String) throws -> TLSContext {
        try TLSContext(side: .server, trustedRoot: root, identity: try identity(role), requestPeerCertificate: true)
    }

    /// A client context presenting a `role` certificate.
    func clientContext(_ role: String) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root, identity: try identity(role))
    }
}
