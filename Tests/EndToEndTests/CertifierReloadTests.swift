import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing

/// `cml-certifier serve` over a long run: SIGHUP reloads the policy and reopens the audit log; the audit
/// log names the policy of each line, records start, stop and reloads, and folds repeated refusals.
@Suite(.serialized) struct CertifierReloadTests {
    /// A certifier serving the policy file `policy` (a copy the test may overwrite), its stderr read live.
    struct Serving {
        let domain: Domain
        let policy: String
        let process: RunningProcess
        let port: UInt16

        init(_ domain: Domain, extra: [String] = []) throws {
            self.domain = domain
            policy = "\(domain.folder)/served.signed"
            try FileBytes.writeAtomically(FileBytes.read(domain.signedPolicy, limit: SignedPolicy.maximumFileSize), to: policy)
            process = try RunningProcess(
                "cml-certifier", ["serve", "--state", domain.state, "--policy", policy, "--listen", "127.0.0.1:0"] + extra)
            port = try process.waitForPort { $0.hasPrefix("listening on ") }
        }

        /// The audit log's lines; nil while a line is half written.
        func audit(_ path: String? = nil) -> [AuditEntry]? {
            try? AuditLog.read(path: path ?? domain.auditLog)
        }

        /// Sends SIGHUP and waits for the audit event it ends with (policy-loaded or policy-refused) to be
        /// the `count`-th of its kind; returns that event.
        func hangup(expecting event: AuditEntry.Event, count: Int, in path: String? = nil) throws -> AuditEntry {
            kill(process.pid, SIGHUP)
            var found: AuditEntry?
            let seen = eventually {
                let events = audit(path)?.filter { $0.event == event } ?? []
                found = events.last
                return events.count == count
            }
            try #require(seen, "no \(event.rawValue) event number \(count):\n\(process.transcript)")
            return try #require(found)
        }

        /// `cml-device attest` into a new folder; returns the folder.
        func attestDevice() throws -> String {
            let state = "\(domain.folder)/device-\(UUID().uuidString.prefix(8))"
            let result = try domain.attest("device", port: port, state: state)
            try #require(result.status == 0, "\(result.standardError)")
            return state
        }

        /// The policy hash the admission certificate in `state` names.
        func certifiedHash(_ state: String) throws -> [UInt8]? {
            try AdmissionCertificate(trusted: Certificate(pem: PEMFile.read("\(state)/admission.crt"))).policyHash
        }
    }

    /// The domain's policy renamed `name` and signed with the domain's policy key (or `key`) by cml-policy.
    static func signed(_ domain: Domain, name: String, key: String? = nil) throws -> [UInt8] {
        let json = try FileBytes.readText("\(domain.folder)/policy.json", limit: SignedPolicy.maximumFileSize)
        let renamed = json.replacingOccurrences(of: "\"confidential-ml, ML mode\"", with: "\"\(name)\"")
        try #require(renamed != json)
        let input = "\(domain.folder)/\(UUID().uuidString).json", output = input + ".signed"
        try FileBytes.writeAtomically(text: renamed, to: input)
        let result = try Executables.run("cml-policy", ["sign", "--key", key ?? "\(domain.state)/policy.key", "--in", input, "--out", output])
        try #require(result.status == 0, "\(result.standardError)")
        return try FileBytes.read(output, limit: SignedPolicy.maximumFileSize)
    }

    @Test func aPolicySignedOfflineIsReloadedByACertifierWithoutThePolicyKey() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let offline = try OfflinePolicyKeyProcessTests.moveOffline(domain)
        let certifier = try Serving(domain)
        // Signed "on the offline machine", carried over as policy.signed only.
        let second = try Self.signed(domain, name: "confidential-ml, ML mode, signed offline", key: offline)
        try FileBytes.writeAtomically(second, to: certifier.policy)
        let loaded = try certifier.hangup(expecting: .policyLoaded, count: 1)
        #expect(loaded.policy == "confidential-ml, ML mode, signed offline")
        let after = try certifier.attestDevice()
        #expect(try certifier.certifiedHash(after) == Digest.sha256.hash(second))
        #expect(!FileManager.default.fileExists(atPath: "\(domain.state)/policy.key"))
    }

    @Test func sighupLoadsANewPolicyAndTheNextAdmissionIsIssuedUnderIt() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try Serving(domain)
        let original = try FileBytes.read(certifier.policy, limit: SignedPolicy.maximumFileSize)
        let before = try certifier.attestDevice()
        #expect(try certifier.certifiedHash(before) == Digest.sha256.hash(original))

        let second = try Self.signed(domain, name: "confidential-ml, ML mode, second edition")
        try FileBytes.writeAtomically(second, to: certifier.policy)
        let loaded = try certifier.hangup(expecting: .policyLoaded, count: 1)
        #expect(loaded.policy == "confidential-ml, ML mode, second edition")
        #expect(loaded.policySHA256 == Hex.encode(Digest.sha256.hash(second)))
        _ = try certifier.process.waitForLine { $0.contains("[certifier] loaded policy \"confidential-ml, ML mode, second edition\" (SHA-256 ") }

        let after = try certifier.attestDevice()
        #expect(try certifier.certifiedHash(after) == Digest.sha256.hash(second))
        #expect(try FileBytes.read("\(after)/policy.signed", limit: SignedPolicy.maximumFileSize) == second)

        #expect(certifier.process.end() == 0)
        let entries = try #require(certifier.audit())
        #expect(entries.map { $0.event?.rawValue ?? $0.decision?.rawValue } == ["start", "admitted", "policy-loaded", "admitted", "stop"])
        let originalHash = Hex.encode(Digest.sha256.hash(original)), secondHash = Hex.encode(Digest.sha256.hash(second))
        #expect(entries.map(\.policySHA256) == [originalHash, originalHash, secondHash, secondHash, secondHash])
        #expect(entries[1].policy == "confidential-ml, ML mode")
        #expect(entries[3].policy == "confidential-ml, ML mode, second edition")
    }

    @Test func sighupWithABadPolicyFileKeepsTheOldPolicyServingAndSaysWhy() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try Serving(domain)
        let good = try FileBytes.read(certifier.policy, limit: SignedPolicy.maximumFileSize)
        var flipped = good
        let name = try #require(good.firstRange(of: Array("ML mode".utf8)))
        flipped[name.lowerBound] ^= 0x01
        #expect(try Executables.run("cml-certifier", ["init", "--state", "\(domain.folder)/other"]).status == 0)
        let stranger = try Self.signed(domain, name: "a stranger's policy", key: "\(domain.folder)/other/policy.key")
        let unsigned = try FileBytes.read("\(domain.folder)/policy.json", limit: SignedPolicy.maximumFileSize)
        let signatureFails = "refusing to serve this policy: the policy's signature does not verify under the key of the policy certificate"
        let notSigned = "refusing to serve this policy: not a signed policy (a COSE_Sign1 of the policy JSON): "
        let json = "refusing to serve this policy: not a signed policy: this is policy JSON, which the policy key has not signed; "
        let cases: [(name: String, bytes: [UInt8], problem: String)] = [
            ("one byte flipped", flipped, signatureFails), ("truncated", Array(good.prefix(good.count / 2)), notSigned),
            ("signed by another domain's key", stranger, signatureFails), ("unsigned JSON", unsigned, json),
        ]
        for (index, bad) in cases.enumerated() {
            try FileBytes.writeAtomically(bad.bytes, to: certifier.policy)
            let refused = try certifier.hangup(expecting: .policyRefused, count: index + 1)
            #expect(refused.reasons.first?.hasPrefix("\(certifier.policy): \(bad.problem)") == true, "\(bad.name): \(refused.reasons)")
            #expect(refused.policySHA256 == Hex.encode(Digest.sha256.hash(good)), "\(bad.name)")
            // Nothing lost: the policy in force still admits, its certificates naming it.
            #expect(try certifier.certifiedHash(certifier.attestDevice()) == Digest.sha256.hash(good), "\(bad.name)")
        }
        let logged = certifier.process.standardError.filter { $0.contains("[certifier] error: \(certifier.policy): refusing to serve this policy: ") }
        #expect(logged.count == 4, "\(certifier.process.transcript)")
        #expect(logged.allSatisfy { $0.hasSuffix("; still serving policy \"confidential-ml, ML mode\" (SHA-256 \(Hex.short(Digest.sha256.hash(good))))") })
        #expect(certifier.process.end() == 0)
        let decisions = try #require(certifier.audit()).compactMap(\.decision)
        #expect(decisions == Array(repeating: .admitted, count: 4))
    }

    @Test func attestationsRunningWhileThePolicyIsReloadedAllSucceed() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try Serving(domain)
        let policies = [
            try FileBytes.read(certifier.policy, limit: SignedPolicy.maximumFileSize),
            try Self.signed(domain, name: "confidential-ml, ML mode, reloaded"),
        ]
        let hashes = Set(policies.map { Hex.encode(Digest.sha256.hash($0)) })
        let failures = Mutex([String]())
        let group = DispatchGroup()
        for _ in 0..<20 {
            group.enter()
            // A thread each, so that all 20 run at once whatever the number of cores.
            Thread {
                do {
                    _ = try certifier.attestDevice()
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                group.leave()
            }.start()
        }
        for reload in 1...5 {
            try FileBytes.writeAtomically(policies[reload % 2], to: certifier.policy)
            _ = try certifier.hangup(expecting: .policyLoaded, count: reload)
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(certifier.process.end() == 0)
        let entries = try #require(certifier.audit())
        let decisions = entries.filter { $0.decision != nil }
        #expect(decisions.count == 20)
        #expect(decisions.allSatisfy { $0.decision == .admitted && hashes.contains($0.policySHA256 ?? "") })
        #expect(entries.filter { $0.event == .policyLoaded }.count == 5)
    }

    @Test func theAuditLogIsReopenedOnSighupAndCopytruncateLosesNothing() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try Serving(domain)
        _ = try certifier.attestDevice()
        // logrotate without copytruncate: move the file, then SIGHUP (its postrotate).
        let moved = domain.auditLog + ".1"
        #expect(rename(domain.auditLog, moved) == 0)
        let loaded = try certifier.hangup(expecting: .policyLoaded, count: 1, in: domain.auditLog)
        #expect(loaded.policy == "confidential-ml, ML mode")
        _ = try certifier.attestDevice()
        #expect(certifier.audit(moved)?.map { $0.event?.rawValue ?? $0.decision?.rawValue } == ["start", "admitted"])
        #expect(certifier.audit()?.map { $0.event?.rawValue ?? $0.decision?.rawValue } == ["policy-loaded", "admitted"])

        // copytruncate: copy, truncate in place, no signal; the next line starts the file.
        let copied = domain.auditLog + ".2"
        try FileBytes.writeAtomically(FileBytes.read(domain.auditLog, limit: AuditLog.maximumFileSize), to: copied)
        #expect(truncate(domain.auditLog, 0) == 0)
        _ = try certifier.attestDevice()
        #expect(try FileBytes.read(domain.auditLog, limit: AuditLog.maximumFileSize).first == UInt8(ascii: "{"))
        #expect(certifier.audit()?.map { $0.decision?.rawValue } == ["admitted"])
        #expect(certifier.audit(copied)?.count == 2)
        #expect(certifier.process.end() == 0)
        #expect(certifier.audit()?.last?.event == .stop)
    }

    @Test func identicalRefusalsFromOneClientAreFoldedAndCountedByStop() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let usage = try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--audit-keep=-1"])
        #expect(usage.status == 64)
        #expect(usage.standardError.contains("keeping -1 old audit logs: give 0 to 1000"))

        let certifier = try Serving(domain, extra: ["--audit-max-bytes", "100000", "--audit-keep", "2"])
        let root = try Certificate(pem: PEMFile.read(domain.policyCertificate))
        let context = try TLSContext(side: .client, trustedRoot: root)
        let refusals = 200
        for _ in 0..<refusals {
            // Evidence without a token: refused, and the connection closed, as an attacker's would be.
            let client = try ChannelClient.connect(host: "127.0.0.1", port: certifier.port, context: context, expectedRoles: [.certifier])
            #expect(throws: ChannelError.self) { try client.request(Message(type: "evidence", fields: ["role": "device"])) }
            client.close()
        }
        #expect(certifier.process.end() == 0)
        let refused = try #require(certifier.audit()).filter { $0.decision == .refused }
        // One line at once, then one with the count of the others at the end of each 10 s interval (or at stop).
        #expect(refused.count <= 4, "\(refused.count) lines")
        #expect(refused.filter { $0.repeated == nil }.count + refused.compactMap(\.repeated).reduce(0, +) == refusals)
        #expect(refused.allSatisfy { $0.code == "bad-request" && $0.reasons == ["\"token\" is missing from \"evidence\""] })
        let warnings = certifier.process.standardError.filter { $0.contains("warning: refused ") }
        #expect(warnings.count == refused.count)
    }
}
