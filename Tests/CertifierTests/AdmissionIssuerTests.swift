import Certifier
import Foundation
import OpenSSLKit
import Policy
import Testing

@Suite struct AdmissionIssuerTests {
    let policyKey = ECPrivateKey(generating: .p384)
    let root: Certificate
    let issuingKey = ECPrivateKey(generating: .p256)

    init() throws {
        root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: policyKey.publicKey, notBefore: Date() - 60, notAfter: Date() + 86400,
            isCertificateAuthority: true
        ).selfSigned(with: policyKey)
    }

    @Test func certificatesCarryRoleMeasurementAndUsages() throws {
        let issuing = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: policyKey, policyCertificate: root)
        let issuer = AdmissionIssuer(issuingKey: issuingKey, issuingCertificate: issuing, lifetime: 3600)
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let subject = ECPrivateKey(generating: .p256)
        let measurement = [UInt8](repeating: 0xc4, count: 32)
        let certificate = try issuer.issue(role: .device, measurement: measurement, subjectKey: subject.publicKey, now: now)

        #expect(certificate.subjectCommonName == "device")
        #expect(certificate.uriSubjectAlternativeNames == ["cml:role:device"])
        #expect(certificate.isExtensionCritical(oid: AdmissionCertificate.measurementOID) == false)
        #expect(certificate.serialNumberHex.count == 32)
        #expect(certificate.keyUsage == .digitalSignature)
        #expect(certificate.extendedKeyUsage == [.serverAuth, .clientAuth])
        #expect(!certificate.isCertificateAuthority)
        #expect(certificate.notBefore == now - 60)
        #expect(certificate.notAfter == now + 3600)
        #expect(try certificate.publicKey == subject.publicKey)
        #expect(certificate.isSignatureValid(issuerKey: issuingKey.publicKey))
        #expect(!certificate.isSignatureValid(issuerKey: policyKey.publicKey))
        #expect(certificate.issuerCommonName == IssuingCertificate.commonName)
        #expect(try CertificateVerifier(trustedRoot: root).verify(certificate, intermediates: [issuing]).isTrusted)
        // Without the issuing certificate the chain does not reach the policy certificate.
        #expect(try CertificateVerifier(trustedRoot: root).verify(certificate) == .untrusted(reason: "is not issued by the trusted root (\"device\" is issued by \"cml-issuer\")"))
        let admission = try AdmissionCertificate(trusted: certificate)
        #expect(admission.role == .device)
        #expect(admission.measurement == measurement)
        // Serials are random.
        let again = try issuer.issue(role: .device, measurement: measurement, subjectKey: subject.publicKey, now: now)
        #expect(again.serialNumberHex != certificate.serialNumberHex)
    }

    @Test func noCertificateOutlivesTheIssuingCertificate() throws {
        let issuing = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: policyKey, policyCertificate: root, lifetime: 600)
        let certificate = try AdmissionIssuer(issuingKey: issuingKey, issuingCertificate: issuing, lifetime: 3600)
            .issue(role: .device, measurement: nil, subjectKey: ECPrivateKey(generating: .p256).publicKey)
        #expect(certificate.notAfter == issuing.notAfter)
    }
}
