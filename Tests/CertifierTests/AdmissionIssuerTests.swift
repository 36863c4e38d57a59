import Certifier
import Channel
import Foundation
import OpenSSLKit
import Testing

@Suite struct AdmissionIssuerTests {
    @Test func certificatesCarryRoleMeasurementAndUsages() throws {
        let policyKey = ECPrivateKey(generating: .p384)
        let root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: policyKey.publicKey, notBefore: Date() - 60, notAfter: Date() + 86400,
            isCertificateAuthority: true
        ).selfSigned(with: policyKey)
        let issuer = AdmissionIssuer(policyKey: policyKey, policyCertificate: root, lifetime: 3600)
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let subject = ECPrivateKey(generating: .p256)
        let measurement = [UInt8](repeating: 0xc4, count: 32)
        let certificate = try issuer.issue(role: "device", measurement: measurement, subjectKey: subject.publicKey, now: now)

        #expect(certificate.subjectCommonName == "device")
        #expect(certificate.uriSubjectAlternativeNames == ["cml:role:device"])
        #expect(RealmMeasurementExtension.measurement(in: certificate) == measurement)
        #expect(certificate.isExtensionCritical(oid: RealmMeasurementExtension.oid) == false)
        #expect(certificate.serialNumberHex.count == 32)
        #expect(certificate.keyUsage == .digitalSignature)
        #expect(certificate.extendedKeyUsage == [.serverAuth, .clientAuth])
        #expect(!certificate.isCertificateAuthority)
        #expect(certificate.notBefore == now - 60)
        #expect(certificate.notAfter == now + 3600)
        #expect(try certificate.publicKey == subject.publicKey)
        #expect(certificate.isSignatureValid(issuerKey: policyKey.publicKey))
        #expect(try CertificateVerifier(trustedRoot: root).verify(certificate).isTrusted)
        let identity = try PeerIdentity(certificate: certificate)
        #expect(identity.role == "device")
        #expect(identity.measurement == String(repeating: "c4", count: 32))
        // Serials are random.
        let again = try issuer.issue(role: "device", measurement: measurement, subjectKey: subject.publicKey, now: now)
        #expect(again.serialNumberHex != certificate.serialNumberHex)
    }
}
