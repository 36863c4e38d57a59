import Foundation
import OpenSSLKit

/// A CA made at test time (P-384, like the policy key) that issues P-256 leaves.
struct TestAuthority {
    /// A private extension OID (the one admission certificates use for the measurement), to test custom extensions.
    static let measurementOID = "2.25.189988432267333467357462336223592312867"

    let key: ECPrivateKey
    let certificate: Certificate

    init(name: String = "cml-policy", notBefore: Date = Date() - 3600, notAfter: Date = Date() + 86400) throws {
        key = ECPrivateKey(generating: .p384)
        var builder = CertificateBuilder(
            subjectCommonName: name, subjectPublicKey: key.publicKey, notBefore: notBefore, notAfter: notAfter,
            isCertificateAuthority: true)
        builder.subjectOrganization = "ConfidentialML"
        certificate = try builder.selfSigned(with: key)
    }

    /// A leaf for `role` with a fresh P-256 key.
    func issue(
        role: String = "device", measurement: [UInt8] = Array(repeating: 0xab, count: 32),
        notBefore: Date = Date() - 60, notAfter: Date = Date() + 3600
    ) throws -> (certificate: Certificate, key: ECPrivateKey) {
        let leafKey = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: role, subjectPublicKey: leafKey.publicKey, notBefore: notBefore, notAfter: notAfter)
        builder.subjectOrganization = "ConfidentialML"
        builder.uriSubjectAlternativeNames = ["cml:role:\(role)"]
        builder.customExtensions = [
            .init(oid: Self.measurementOID, value: DEROctetString.encode(measurement))
        ]
        return (try builder.issued(by: certificate, issuerKey: key), leafKey)
    }
}
