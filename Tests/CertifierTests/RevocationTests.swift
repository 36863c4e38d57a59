import Admission
import Attestation
import ByteKit
import Certifier
import Foundation
import OpenSSLKit
import Policy
import Synchronization
import TestSupport
import Testing

/// The revocation list: kept by the certifier, served signed, and held by a `RevocationWatch` that
/// never goes back to an older version.
@Suite struct RevocationTests {
    @Test func aReloadThatDropsAMeasurementRevokesItsLiveAdmissionsAndAuditsThem() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (device, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let (runtime, _) = try certifier.attest(.runtime, TestCertifier.runtimeMeasurement)
        var document = certifier.policy
        document.name = "test, device measurement replaced"
        document.roles["device"] = RolePolicy(initialMeasurements: [HexBytes([UInt8](repeating: 0x9d, count: 32))])
        try certifier.service.reload(policyBytes: SignedPolicy.sign(document, key: certifier.policyKey).bytes)

        let list = certifier.service.revocationList
        #expect(list.version == 1)
        #expect(list.isRevoked(serialHex: device.certificate.serialNumberHex))
        #expect(!list.isRevoked(serialHex: runtime.certificate.serialNumberHex))
        let revocations = try certifier.audit().filter { $0.event == .revocation }
        #expect(revocations.count == 1)
        #expect(revocations.first?.serial == device.certificate.serialNumberHex.lowercased())
        #expect(revocations.first?.role == "device")
        #expect(revocations.first?.policy == "test, device measurement replaced")
        #expect(revocations.first?.reasons.first?.hasPrefix("the policy reload dropped measurement ") == true)
    }

    @Test func aWatchKeepsTheHighestVersionAndRefusesAnOlderListReplayed() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (_, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let (revoked, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let credentials = try RoleCredentials.load(stateDirectory: directory, role: .device)
        let seen = VersionsSeen()
        let watch = RevocationWatch(
            certifierHost: "127.0.0.1", certifierPort: certifier.server.port, policyCertificate: certifier.state.policyCertificate,
            context: try credentials.clientContext(), interval: 60, logger: quietLogger
        ) { list in seen.add(list.version) }
        #expect(try watch.refresh().version == 0)

        let store = RevocationStore(directory: certifier.state.directory)
        try store.revoke([RevocationList.Entry(serial: revoked.certificate.serialNumberHex, reason: "test", revoked: 1)], now: Date())
        certifier.service.reloadRevocations()
        #expect(try watch.refresh().version == 1)
        #expect(watch.isRevoked(serial: Hex.decode(revoked.certificate.serialNumberHex) ?? []))
        #expect(seen.versions == [1])

        // The certifier's file put back to an older version (a restored backup, say): the watch refuses it.
        try FileBytes.writeAtomically(RevocationList(version: 0, issued: 0).jsonBytes(), to: store.path)
        certifier.service.reloadRevocations()
        let error = #expect(throws: AdmissionError.self) { try watch.refresh() }
        #expect(error?.message.hasSuffix("sent revocation list version 0, older than version 1 already seen: refused (a replay?)") == true, "\(String(describing: error))")
        #expect(watch.list.version == 1)
        #expect(seen.versions == [1])
    }

    @Test func aSignedListOpensOnlyThroughTheDomainsIssuingCertificateAndUnchanged() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let list = RevocationList().adding([RevocationList.Entry(serial: "0A0B", reason: "lost", revoked: 7)], now: Date(timeIntervalSince1970: 100))
        var signed = try list.signed(key: certifier.state.issuingKey, issuerCertificate: certifier.state.issuingCertificate)
        let opened = try RevocationList(opening: signed, policyCertificate: certifier.state.policyCertificate)
        #expect(opened == list)
        #expect(opened.version == 1 && opened.issued == 100)
        #expect(opened.isRevoked(serial: [0x0a, 0x0b]))
        signed[signed.count - 1] ^= 0x01
        #expect(throws: PolicyError.self) { try RevocationList(opening: signed, policyCertificate: certifier.state.policyCertificate) }
        // A signed policy is not a revocation list, though the same key signed it.
        let policy = try SignedPolicy.sign(certifier.policy, key: certifier.policyKey)
        let error = #expect(throws: PolicyError.self) { try RevocationList(opening: policy.bytes, policyCertificate: certifier.state.policyCertificate) }
        #expect(error?.description.hasPrefix("the revocation list carries no issuing certificate") == true, "\(String(describing: error))")
    }

    @Test func aListSignedByAnotherKeyIsRefused() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let list = RevocationList().adding([], now: Date())
        let root = certifier.state.policyCertificate
        // Signed by the policy key itself (a certifier from before issuing keys): no issuing certificate.
        let direct = try COSESign1.sign(payload: list.jsonBytes(), key: certifier.policyKey).encoded
        let unchained = #expect(throws: PolicyError.self) { try RevocationList(opening: direct, policyCertificate: root) }
        #expect(unchained?.reason == "the revocation list carries no issuing certificate (x5chain); it comes from a certifier older than issuing keys")
        // Signed by another key that carries the domain's issuing certificate.
        let stranger = try COSESign1.sign(payload: list.jsonBytes(), key: ECPrivateKey(generating: .p256), certificate: certifier.state.issuingCertificate.der)
        let wrongKey = #expect(throws: PolicyError.self) { try RevocationList(opening: stranger.encoded, policyCertificate: root) }
        #expect(wrongKey?.reason == "the revocation list's signature does not verify under the key of its issuing \(certifier.state.issuingCertificate)")
        // Signed by another domain's issuing key, carrying its certificate.
        let other = try TestDomain()
        let foreign = try list.signed(key: other.issuingKey, issuerCertificate: other.issuing)
        let foreignError = #expect(throws: PolicyError.self) { try RevocationList(opening: foreign, policyCertificate: root) }
        #expect(foreignError?.reason.hasPrefix("the revocation list's signer is refused: \(other.issuing) is not issued by this domain's policy key") == true, "\(String(describing: foreignError))")
        // Signed by an admitted role's key, carrying its admission certificate (a leaf, not a CA).
        let (_, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let deviceKey = try ECPrivateKey(pem: PEMFile.read("\(directory)/tls.key"))
        let deviceCertificate = try Certificate.loadPEMChain(contentsOfFile: "\(directory)/admission.crt")[0]
        let byLeaf = try list.signed(key: deviceKey, issuerCertificate: deviceCertificate)
        let leafError = #expect(throws: PolicyError.self) { try RevocationList(opening: byLeaf, policyCertificate: root) }
        #expect(leafError?.reason == "the revocation list's signer is refused: \(deviceCertificate) is not a CA certificate (basic constraints CA:TRUE and keyCertSign), so it cannot issue admissions")
    }
}

/// The versions a watch reported, in order.
private final class VersionsSeen: Sendable {
    private let seen = Mutex<[UInt64]>([])
    func add(_ version: UInt64) { seen.withLock { $0.append(version) } }
    var versions: [UInt64] { seen.withLock { $0 } }
}
