import ByteKit
import Foundation
import OpenSSLKit
import Testing

@Test func builtCertificateReadsBackEveryField() throws {
    let authority = try TestAuthority()
    let notBefore = Date(timeIntervalSince1970: 1_800_000_000)
    let notAfter = notBefore + 7200
    let measurement = Array(0..<32 as Range<UInt8>)
    let (leaf, leafKey) = try authority.issue(
        role: "runtime", measurement: measurement, notBefore: notBefore, notAfter: notAfter)

    #expect(leaf.subjectCommonName == "runtime")
    #expect(leaf.subjectOrganization == "ConfidentialML")
    #expect(leaf.issuerCommonName == "cml-policy")
    #expect(leaf.uriSubjectAlternativeNames == ["cml:role:runtime"])
    #expect(leaf.notBefore == notBefore)
    #expect(leaf.notAfter == notAfter)
    #expect(try leaf.publicKey == leafKey.publicKey)
    #expect(leaf.subjectPublicKeyInfoDER == leafKey.publicKey.spkiDER)
    #expect(!leaf.isCertificateAuthority)
    #expect(!leaf.isSelfIssued)
    #expect(leaf.keyUsage == [.digitalSignature])
    #expect(leaf.extendedKeyUsage == [.serverAuth, .clientAuth])
    #expect(leaf.isSignatureValid(issuerKey: authority.key.publicKey))
    #expect(!leaf.isSignatureValid(issuerKey: leafKey.publicKey))
    #expect(leaf.extensionValue(oid: TestAuthority.measurementOID).flatMap(DEROctetString.decode) == measurement)
    #expect(leaf.extensionValue(oid: TestAuthority.measurementOID) == DEROctetString.encode(measurement))
    #expect(leaf.isExtensionCritical(oid: TestAuthority.measurementOID) == false)
    #expect(leaf.isExtensionCritical(oid: "2.5.29.19") == true)  // basic constraints
    #expect(leaf.isExtensionCritical(oid: "2.5.29.15") == true)  // key usage
    #expect(leaf.extensionValue(oid: "1.2.3.4") == nil)
    #expect(leaf.isExtensionCritical(oid: "1.2.3.4") == nil)
    // The authority key identifier names the CA's subject key identifier.
    let caKeyID = try #require(authority.certificate.subjectKeyIdentifier)
    #expect(caKeyID.count == 20)
    #expect(leaf.authorityKeyIdentifier == caKeyID)
    #expect(leaf.subjectKeyIdentifier != nil && leaf.subjectKeyIdentifier != caKeyID)
}

@Test func authorityIsSelfIssuedCA() throws {
    let authority = try TestAuthority()
    let root = authority.certificate
    #expect(root.isCertificateAuthority)
    #expect(root.isSelfIssued)
    #expect(root.keyUsage == [.digitalSignature, .keyCertSign, .cRLSign])
    #expect(root.subjectCommonName == "cml-policy" && root.issuerCommonName == "cml-policy")
    #expect(root.uriSubjectAlternativeNames.isEmpty)
    #expect(root.isSignatureValid(issuerKey: authority.key.publicKey))
    #expect(root.authorityKeyIdentifier == root.subjectKeyIdentifier)
    #expect(try root.publicKey.curve == .p384)
}

@Test func serialNumbersAreRandomPositive128Bit() throws {
    let authority = try TestAuthority()
    var seen = Set<String>()
    for _ in 0..<20 {
        let serial = try authority.issue().certificate.serialNumberHex
        #expect(serial.count == 32, "\(serial)")
        let first = try #require(Hex.decode(String(serial.prefix(2)))).first ?? 0
        #expect(first & 0xc0 == 0x40, "positive and 16 bytes: \(serial)")
        seen.insert(serial)
    }
    #expect(seen.count == 20)
    var builder = CertificateBuilder(
        subjectCommonName: "x", subjectPublicKey: authority.key.publicKey, notAfter: Date() + 60)
    builder.serialNumber = [0x01, 0x02, 0xff]
    let issued = try builder.issued(by: authority.certificate, issuerKey: authority.key)
    #expect(issued.serialNumber == [0x01, 0x02, 0xff])
    #expect(issued.serialNumberHex == "0102ff")
}

@Test func pemAndDERRoundTrip() throws {
    let authority = try TestAuthority()
    let (leaf, _) = try authority.issue()
    #expect(leaf.pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
    #expect(try Certificate(pem: leaf.pem) == leaf)
    #expect(try Certificate(der: leaf.der) == leaf)
    #expect(try Certificate(der: leaf.der).der == leaf.der)
    let chain = try Certificate.loadPEMChain(leaf.pem + authority.certificate.pem)
    #expect(chain == [leaf, authority.certificate])
    #expect(try Certificate.loadPEMChain(leaf.pem) == [leaf])
}

@Test func loadsAChainFromAFile() throws {
    let authority = try TestAuthority()
    let (leaf, _) = try authority.issue()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("chain-\(UUID()).pem").path
    try (leaf.pem + authority.certificate.pem).write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try Certificate.loadPEMChain(contentsOfFile: path) == [leaf, authority.certificate])
    let error = #expect(throws: OpenSSLError.self) { try Certificate.loadPEMChain(contentsOfFile: path + ".missing") }
    #expect(error?.description.contains(".missing") == true)
}

@Test func badInputIsRefusedWithAReason() throws {
    let authority = try TestAuthority()
    let der = authority.certificate.der
    let trailing = #expect(throws: OpenSSLError.self) { try Certificate(der: der + [0]) }
    #expect(trailing?.description.contains("bytes follow the certificate") == true)
    #expect(throws: OpenSSLError.self) { try Certificate(der: Array(der.prefix(100))) }
    #expect(throws: OpenSSLError.self) { try Certificate(der: []) }
    let key = #expect(throws: OpenSSLError.self) { try Certificate(pem: authority.key.pkcs8PEM) }
    #expect(key?.description.contains("\"PRIVATE KEY\", expected \"CERTIFICATE\"") == true)
    let broken = authority.certificate.pem.replacingOccurrences(of: "A", with: "*")
    #expect(throws: OpenSSLError.self) { try Certificate(pem: broken) }
    #expect(throws: OpenSSLError.self) { try Certificate.loadPEMChain(authority.certificate.pem + broken) }
}

@Test func builderRefusesInconsistentRequests() throws {
    let authority = try TestAuthority()
    let (leaf, leafKey) = try authority.issue()
    let other = ECPrivateKey(generating: .p256)
    let builder = CertificateBuilder(subjectCommonName: "x", subjectPublicKey: other.publicKey, notAfter: Date() + 60)
    let notCA = #expect(throws: OpenSSLError.self) { try builder.issued(by: leaf, issuerKey: leafKey) }
    #expect(notCA?.description.contains("not a CA") == true)
    let wrongKey = #expect(throws: OpenSSLError.self) { try builder.issued(by: authority.certificate, issuerKey: other) }
    #expect(wrongKey?.description.contains("not the issuer certificate's key") == true)
    #expect(throws: OpenSSLError.self) { try builder.selfSigned(with: authority.key) }
    var backwards = builder
    backwards.notAfter = backwards.notBefore - 1
    #expect(throws: OpenSSLError.self) { try backwards.selfSigned(with: other) }
    var badOID = builder
    badOID.customExtensions = [.init(oid: "not an oid", value: [0x05, 0x00])]
    let oid = #expect(throws: OpenSSLError.self) { try badOID.selfSigned(with: other) }
    #expect(oid?.description.contains("not a dotted OID") == true)
    var badURI = builder
    badURI.uriSubjectAlternativeNames = ["cml:role: device"]
    #expect(throws: OpenSSLError.self) { try badURI.selfSigned(with: other) }
}

@Test func derOctetStringRoundTrips() {
    #expect(DEROctetString.encode([1, 2, 3]) == [0x04, 0x03, 1, 2, 3])
    let long = [UInt8](repeating: 7, count: 300)
    #expect(DEROctetString.encode(long).prefix(4) == [0x04, 0x82, 0x01, 0x2c])
    #expect(DEROctetString.decode(DEROctetString.encode(long)) == long)
    #expect(DEROctetString.decode([0x04, 0x00]) == [])
    #expect(DEROctetString.decode([0x04, 0x03, 1, 2]) == nil)
    #expect(DEROctetString.decode([0x04, 0x01, 1, 0]) == nil)
    #expect(DEROctetString.decode([0x02, 0x01, 1]) == nil)
}
