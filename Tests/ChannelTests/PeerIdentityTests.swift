import Channel
import Foundation
import OpenSSLKit
import Policy
import TestSupport
import Testing

@Test func identityComesFromTheAdmissionCertificate() throws {
    let domain = try TestDomain()
    let measurement: [UInt8] = [0xc4, 0xa9, 0xe3, 0x10] + Array(repeating: 0, count: 28)
    let identity = try domain.identity(role: .device, measurement: measurement)
    let peer = try PeerIdentity(certificate: identity.certificate)
    #expect(peer.role == .device)
    #expect(peer.measurement == measurement)
    #expect(peer.serialNumber == identity.certificate.serialNumber)
    #expect(peer.notAfter == identity.certificate.notAfter)
    #expect(peer.description.hasPrefix("device (measurement c4a9e310..., serial "))
}

@Test func identityWithoutMeasurementIsAllowed() throws {
    let domain = try TestDomain()
    let peer = try PeerIdentity(certificate: try domain.identity(role: .certifier, measurement: nil).certificate)
    #expect(peer.role == .certifier && peer.measurement == nil)
}

@Test func identityRefusesWhatIsNotAnAdmissionCertificateAsNotAuthorized() throws {
    let domain = try TestDomain()
    let key = ECPrivateKey(generating: .p256)
    let candidate = try CertificateBuilder(subjectCommonName: "device", subjectPublicKey: key.publicKey, notAfter: Date() + 60)
        .issued(by: domain.root, issuerKey: domain.rootKey)
    let error = #expect(throws: ChannelError.self) { try PeerIdentity(certificate: candidate) }
    #expect(error?.message == "names no role (no cml:role:<role> URI)")
    #expect(error?.code == .notAuthorized)
    #expect(error?.kind == .refused)
}
