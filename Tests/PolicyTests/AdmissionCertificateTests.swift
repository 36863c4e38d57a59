import ByteKit
import Foundation
import OpenSSLKit
import Policy
import Testing

@Suite struct AdmissionCertificateTests {
    let fixture = PolicyFixture()
    var policyKey: ECPrivateKey { fixture.policyKey }
    var root: Certificate { fixture.policyCertificate }

    @Test func whatIsIssuedReadsBackFieldByField() throws {
        let measurement: [UInt8] = [0xc4, 0xa9, 0xe3, 0x10] + Array(repeating: 0, count: 28)
        let subject = ECPrivateKey(generating: .p256)
        let notBefore = Date(timeIntervalSince1970: 1_800_000_000)
        let serial: [UInt8] = [0x5a, 0x3f, 0x1c, 0x0b, 0x01, 0x02]
        let certificate = try AdmissionCertificate.issue(
            role: .device, measurement: measurement, subjectKey: subject.publicKey, notBefore: notBefore,
            notAfter: notBefore + 3600, serial: serial, issuerKey: policyKey, issuerCertificate: root)
        #expect(certificate.subjectCommonName == "device")
        #expect(certificate.uriSubjectAlternativeNames == ["cml:role:device"])
        #expect(certificate.isExtensionCritical(oid: AdmissionCertificate.measurementOID) == false)
        #expect(certificate.keyUsage == .digitalSignature)
        #expect(certificate.extendedKeyUsage == [.serverAuth, .clientAuth])
        #expect(try certificate.publicKey == subject.publicKey)
        #expect(certificate.isSignatureValid(issuerKey: policyKey.publicKey))

        let admission = try AdmissionCertificate(trusted: certificate)
        #expect(admission.role == .device)
        #expect(admission.measurement == measurement)
        #expect(admission.serial == serial)
        #expect(admission.notBefore == notBefore)
        #expect(admission.notAfter == notBefore + 3600)
        #expect(admission.certificate == certificate)
        #expect(admission.description == "device (measurement c4a9e310..., serial 5a3f1c0b...)")
    }

    @Test func aCertificateWithoutMeasurementReadsAsNone() throws {
        let certificate = try AdmissionCertificate.issue(
            role: .certifier, measurement: nil, subjectKey: ECPrivateKey(generating: .p256).publicKey, notBefore: Date() - 60,
            notAfter: Date() + 60, issuerKey: policyKey, issuerCertificate: root)
        #expect(certificate.extensionValue(oid: AdmissionCertificate.measurementOID) == nil)
        let admission = try AdmissionCertificate(trusted: certificate)
        #expect(admission.role == .certifier && admission.measurement == nil)
        #expect(admission.serial.count == 16)
        #expect(admission.description == "certifier (serial \(Hex.short(admission.serial)))")
        #expect(AdmissionCertificate.roleURI(.runtime) == "cml:role:runtime")
    }

    @Test(arguments: [
        ("device", [], nil, "names no role (no cml:role:<role> URI)"),
        ("device", ["https://example.com/device"], nil, "names no role (no cml:role:<role> URI)"),
        ("device", ["cml:role:device", "cml:role:runtime"], nil, "names 2 roles (device, runtime), not one"),
        ("runtime", ["cml:role:device"], nil, "names the role \"device\" but its common name is \"runtime\""),
        ("Device", ["cml:role:Device"], nil, "names the role \"Device\", which is not a lowercase name"),
        ("device2", ["cml:role:device2"], nil, "names the role \"device2\", which is not a lowercase name"),
        ("x", ["cml:role:"], nil, "names the role \"\", which is not a lowercase name"),
        ("device", ["cml:role:device"], [0x05, 0x00], "has a measurement extension that is not an OCTET STRING"),
        ("device", ["cml:role:device"], [0x04, 0x00], "has a measurement extension that is not an OCTET STRING"),
    ] as [(String, [String], [UInt8]?, String)])
    func readingRefusesACertificateThatDoesNotNameOneRole(commonName: String, uris: [String], measurement: [UInt8]?, reason: String) throws {
        var builder = CertificateBuilder(
            subjectCommonName: commonName, subjectPublicKey: ECPrivateKey(generating: .p256).publicKey, notAfter: Date() + 60)
        builder.uriSubjectAlternativeNames = uris
        if let measurement {
            builder.customExtensions = [.init(oid: AdmissionCertificate.measurementOID, value: measurement)]
        }
        let candidate = try builder.issued(by: root, issuerKey: policyKey)
        #expect(throws: AdmissionCertificateError(reason)) { try AdmissionCertificate(trusted: candidate) }
    }

    @Test func thePolicyHashAndThePlatformInstanceReadBack() throws {
        let hash = Digest.sha256.hash(Array("a signed policy".utf8))
        let instance: [UInt8] = [0x01] + Array(repeating: 0xab, count: 32)
        let certificate = try AdmissionCertificate.issue(
            role: .device, measurement: Array(repeating: 0x5e, count: 32), policyHash: hash, platformInstance: instance,
            subjectKey: ECPrivateKey(generating: .p256).publicKey, notBefore: Date() - 60, notAfter: Date() + 60,
            issuerKey: policyKey, issuerCertificate: root)
        #expect(certificate.isExtensionCritical(oid: AdmissionCertificate.policyHashOID) == false)
        #expect(certificate.isExtensionCritical(oid: AdmissionCertificate.platformInstanceOID) == false)
        let admission = try AdmissionCertificate(trusted: certificate)
        #expect(admission.policyHash == hash)
        #expect(admission.platformInstance == instance)
        // Without them (the certifier's own certificate) both read as none.
        let bare = try AdmissionCertificate.issue(
            role: .certifier, measurement: nil, subjectKey: ECPrivateKey(generating: .p256).publicKey, notBefore: Date() - 60,
            notAfter: Date() + 60, issuerKey: policyKey, issuerCertificate: root)
        #expect(try AdmissionCertificate(trusted: bare).policyHash == nil)
        #expect(try AdmissionCertificate(trusted: bare).platformInstance == nil)
    }

    @Test(arguments: [
        (AdmissionCertificate.policyHashOID, DEROctetString.encode(Array(repeating: 1, count: 31)),
         "has a policy hash extension that is not an OCTET STRING of 32 bytes"),
        (AdmissionCertificate.policyHashOID, [0x05, 0x00], "has a policy hash extension that is not an OCTET STRING of 32 bytes"),
        (AdmissionCertificate.platformInstanceOID, DEROctetString.encode([]),
         "has a platform instance extension that is not an OCTET STRING of 1 to 64 bytes"),
        (AdmissionCertificate.platformInstanceOID, DEROctetString.encode(Array(repeating: 1, count: 65)),
         "has a platform instance extension that is not an OCTET STRING of 1 to 64 bytes"),
    ] as [(String, [UInt8], String)])
    func readingRefusesAPolicyHashOrPlatformInstanceOfTheWrongSize(oid: String, value: [UInt8], reason: String) throws {
        var builder = CertificateBuilder(
            subjectCommonName: "device", subjectPublicKey: ECPrivateKey(generating: .p256).publicKey, notAfter: Date() + 60)
        builder.uriSubjectAlternativeNames = ["cml:role:device"]
        builder.customExtensions = [.init(oid: oid, value: value)]
        let candidate = try builder.issued(by: root, issuerKey: policyKey)
        #expect(throws: AdmissionCertificateError(reason)) { try AdmissionCertificate(trusted: candidate) }
    }
}
