import Channel
import Foundation
import OpenSSLKit
import TestSupport
import Testing

@Test func identityComesFromTheAdmissionCertificate() throws {
    let domain = try TestDomain()
    let identity = try domain.identity(role: "device", measurement: [0xc4, 0xa9, 0xe3, 0x10] + Array(repeating: 0, count: 28))
    let peer = try PeerIdentity(certificate: identity.certificate)
    #expect(peer.role == "device")
    #expect(peer.measurement == "c4a9e310" + String(repeating: "00", count: 28))
    #expect(peer.serialNumber == identity.certificate.serialNumberHex)
    #expect(peer.notAfter == identity.certificate.notAfter)
    #expect(peer.description.hasPrefix("device (measurement c4a9e310..., serial "))
    #expect(PeerIdentity.roleURI("device") == "cml:role:device")
}

@Test func identityWithoutMeasurementIsAllowed() throws {
    let domain = try TestDomain()
    let peer = try PeerIdentity(certificate: try domain.identity(role: "certifier", measurement: nil).certificate)
    #expect(peer.role == "certifier" && peer.measurement == nil)
}

/// A certificate from the domain root with the given names, to probe what PeerIdentity refuses.
private func certificate(commonName: String, uris: [String], measurementExtension: [UInt8]? = nil) throws -> Certificate {
    let domain = try TestDomain()
    let key = ECPrivateKey(generating: .p256)
    var builder = CertificateBuilder(subjectCommonName: commonName, subjectPublicKey: key.publicKey, notAfter: Date() + 60)
    builder.uriSubjectAlternativeNames = uris
    if let measurementExtension {
        builder.customExtensions = [.init(oid: RealmMeasurementExtension.oid, value: measurementExtension)]
    }
    return try builder.issued(by: domain.root, issuerKey: domain.rootKey)
}

@Test(arguments: [
    ("device", [], nil, "names no role (no cml:role:<role> URI)"),
    ("device", ["https://example.com/device"], nil, "names no role (no cml:role:<role> URI)"),
    ("device", ["cml:role:device", "cml:role:runtime"], nil, "names 2 roles (device, runtime), not one"),
    ("runtime", ["cml:role:device"], nil, "names the role \"device\" but its common name is \"runtime\""),
    ("Device", ["cml:role:Device"], nil, "names the role \"Device\", which is not a lowercase name"),
    ("device", ["cml:role:device"], [0x05, 0x00], "has a measurement extension that is not an OCTET STRING"),
] as [(String, [String], [UInt8]?, String)])
func identityRefusesCertificatesThatDoNotNameOneRole(commonName: String, uris: [String], measurement: [UInt8]?, reason: String) throws {
    let candidate = try certificate(commonName: commonName, uris: uris, measurementExtension: measurement)
    let error = #expect(throws: ChannelError.self) { try PeerIdentity(certificate: candidate) }
    #expect(error?.message == reason)
    #expect(error?.code == .notAuthorized)
    #expect(error?.kind == .refused)
}
