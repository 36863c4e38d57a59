import Admission
import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import TestSupport
import Testing

/// Reloading the policy in a running CertifierService, and what the audit log records of it.
@Suite(.serialized) struct PolicyReloadTests {
    /// Writes `signed` to a file beside the state and returns its path.
    func write(_ bytes: [UInt8], in certifier: TestCertifier, name: String = "policy.signed") throws -> String {
        let path = "\(certifier.folder)/\(name)"
        try FileBytes.writeAtomically(bytes, to: path)
        return path
    }

    @Test func aReloadedPolicyGovernsTheNextAdmissionAndEveryLineNamesItsPolicy() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let first = certifier.service.snapshot
        let (before, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)

        // The second edition accepts another device measurement only.
        let newMeasurement = [UInt8](repeating: 0x9d, count: 32)
        var document = certifier.policy
        document.name = "test, second edition"
        document.roles["device"] = RolePolicy(initialMeasurements: [HexBytes(newMeasurement)])
        let second = try SignedPolicy.sign(document, key: certifier.policyKey)
        #expect(certifier.service.reloadPolicy(file: try write(second.bytes, in: certifier)))
        #expect(certifier.service.policyHash == Digest.sha256.hash(second.bytes))

        let (after, _) = try certifier.attest(.device, newMeasurement)
        #expect(try AdmissionCertificate(trusted: before.certificate).policyHash == first.hash)
        #expect(try AdmissionCertificate(trusted: after.certificate).policyHash == Digest.sha256.hash(second.bytes))
        #expect(after.policy.document.name == "test, second edition")
        let refused = #expect(throws: AdmissionError.self) { try certifier.attest(.device, TestCertifier.deviceMeasurement) }
        #expect(refused?.message.contains("in policy \"test, second edition\"") == true)

        let entries = try certifier.audit()
        // The reload dropped the measurement of the first admission, which is still live: it is revoked.
        #expect(entries.map { $0.event?.rawValue ?? $0.decision?.rawValue } == ["admitted", "policy-loaded", "revocation", "admitted", "refused"])
        let firstHash = Hex.encode(first.hash), secondHash = Hex.encode(Digest.sha256.hash(second.bytes))
        #expect(entries.map(\.policy) == ["test", "test, second edition", "test, second edition", "test, second edition", "test, second edition"])
        #expect(entries.map(\.policySHA256) == [firstHash, secondHash, secondHash, secondHash, secondHash])
    }

    @Test func aBadPolicyFileIsRefusedNamingTheFileAndTheOldPolicyServesOn() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let good = certifier.service.policy
        var flipped = good.bytes
        let name = try #require(flipped.firstRange(of: Array("\"test\"".utf8)))
        flipped[name.lowerBound + 1] ^= 0x01
        let stranger = try SignedPolicy.sign(json: good.json, key: ECPrivateKey(generating: .p384))
        let cases: [(name: String, bytes: [UInt8]?, problem: String)] = [
            ("one byte flipped", flipped, "refusing to serve this policy: the policy's signature does not verify under the key of the policy certificate"),
            ("truncated", Array(good.bytes.dropLast(7)), "refusing to serve this policy: not a signed policy (a COSE_Sign1 of the policy JSON): "),
            ("signed by another key", stranger.bytes, "refusing to serve this policy: the policy's signature does not verify under the key of the policy certificate"),
            ("unsigned JSON", good.json, "refusing to serve this policy: not a signed policy: this is policy JSON, which the policy key has not signed; "),
            ("missing", nil, "cannot read the policy: no such file or directory"),
        ]
        for (index, bad) in cases.enumerated() {
            let path = "\(certifier.folder)/bad-\(index).signed"
            if let bytes = bad.bytes { try FileBytes.writeAtomically(bytes, to: path) }
            #expect(!certifier.service.reloadPolicy(file: path), "\(bad.name)")
            #expect(certifier.service.policyHash == Digest.sha256.hash(good.bytes), "\(bad.name)")
            let event = try #require(try certifier.audit().last)
            #expect(event.event == .policyRefused)
            #expect(event.policy == "test")
            #expect(event.reasons.count == 1)
            #expect(event.reasons.first?.hasPrefix("\(path): \(bad.problem)") == true, "\(bad.name): \(event.reasons)")
        }
        let (summary, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        #expect(try AdmissionCertificate(trusted: summary.certificate).policyHash == Digest.sha256.hash(good.bytes))
        #expect(try certifier.audit().map { $0.event?.rawValue ?? $0.decision?.rawValue } == Array(repeating: "policy-refused", count: 5) + ["admitted"])
    }

    @Test func aNonceIssuedBeforeAReloadIsRedeemedAfterIt() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let client = try certifier.connect()
        let nonce = try client.request(NonceRequest(), expecting: NonceMessage.self)
        var document = certifier.policy
        document.name = "test, reloaded meanwhile"
        try certifier.service.reload(policyBytes: SignedPolicy.sign(document, key: certifier.policyKey).bytes)
        let admission = try client.request(
            evidence(role: "device", nonce: nonce.nonce, attester: certifier.attester(TestCertifier.deviceMeasurement)),
            expecting: AdmissionMessage.self)
        let policy = try SignedPolicy(opening: admission.policy, policyCertificate: certifier.state.policyCertificate)
        #expect(policy.document.name == "test, reloaded meanwhile")
        #expect(try AdmissionCertificate(trusted: Certificate(der: admission.certificate)).policyHash == Digest.sha256.hash(admission.policy))
    }

    @Test func identicalRefusalsFromOneSourceBecomeOneLineAndACount() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let start = certifier.clock()
        let incomplete = Message(type: "evidence", fields: ["role": "device"])
        func refuse(_ peer: String, connection: UInt64) {
            #expect(throws: ChannelError.self) { try certifier.service.answer(incomplete, connection: connection, peer: peer) }
        }
        // 500 from one host, each from a new port as new connections are; one from another host.
        for index in 0..<500 { refuse("192.0.2.7:\(10_000 + index)", connection: UInt64(index)) }
        refuse("192.0.2.8:4000", connection: 1000)
        var entries = try certifier.audit()
        #expect(entries.map(\.peer) == ["192.0.2.7:10000", "192.0.2.8:4000"])
        #expect(entries.allSatisfy { $0.repeated == nil && $0.code == "bad-request" })

        // The interval ends: the service's own timer writes the count, with no refusal to prompt it.
        certifier.clock.advance(10)
        #expect(eventually { (try? certifier.audit().count) == 3 })
        entries = try certifier.audit()
        let summary = entries[2]
        #expect(summary.repeated == 499)
        #expect(summary.peer == "192.0.2.7:10000")
        #expect(summary.reasons == ["\"token\" is missing from \"evidence\""])
        #expect(summary.time == AuditEntry.timestamp(start + 10))
        #expect(summary.policy == "test")

        // The next one opens a new interval and is written at once.
        refuse("192.0.2.7:20000", connection: 2000)
        entries = try certifier.audit()
        #expect(entries.count == 4)
        #expect(entries[3].peer == "192.0.2.7:20000")
        #expect(entries[3].repeated == nil)
        let lines = try FileBytes.readText(certifier.state.auditLogPath, limit: AuditLog.maximumFileSize)
        #expect(lines.utf8.count < 2000)
    }

    @Test func aPolicyWhoseAdmissionsWouldOutliveTheIssuingCertificateIsRefused() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        // The issuing certificate has two hours left; admissions of three hours would outlive it.
        let state = try CertifierState.certifyIssuer(
            directory: certifier.state.directory, policyKey: certifier.policyKey, newKey: false, lifetime: 7200)
        var document = certifier.policy
        document.admissionLifetimeSeconds = 3 * 3600
        let long = try SignedPolicy.sign(document, key: certifier.policyKey).bytes
        let error = #expect(throws: CertifierError.self) { try PolicySnapshot(state: state, policyBytes: long, logger: quietLogger) }
        #expect(error?.code == .issuerRefused)
        #expect(error?.message.contains("issuer.crt expires at \(UTCTimeText.format(state.issuingCertificate.notAfter)), within the policy's admission lifetime (10800 s)") == true, "\(String(describing: error))")
        document.admissionLifetimeSeconds = 3600
        let snapshot = try PolicySnapshot(state: state, policyBytes: SignedPolicy.sign(document, key: certifier.policyKey).bytes, logger: quietLogger)
        #expect(snapshot.issuer.issuingCertificate == state.issuingCertificate)
    }
}
