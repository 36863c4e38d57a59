import Attestation
import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import Testing

/// The certifier, cml-policy and the roles' attest commands as real processes on loopback.
@Suite(.serialized) struct CertifierCommandsTests {
    /// A client in this test process, for the exchanges an honest attest command never makes.
    struct RawClient {
        let domain: Domain
        let port: UInt16
        let platformKey: ECPrivateKey
        let deviceMeasurement: [UInt8]

        init(_ domain: Domain, _ certifier: CertifierProcess) throws {
            self.domain = domain
            port = certifier.port
            platformKey = try SimulatedPlatformFiles.privateKey(in: domain.platform)
            deviceMeasurement = try ExecutableMeasurement.of(file: Executables.path("cml-device"))
        }

        func connect() throws -> ChannelClient {
            let root = try Certificate(pem: PEMFile.read(domain.policyCertificate))
            return try ChannelClient.connect(
                host: "127.0.0.1", port: port, context: TLSContext(side: .client, trustedRoot: root), expectedRoles: [.certifier])
        }

        /// Evidence a device would send for `nonce`, from the real device binary's measurement.
        func evidence(nonce: [UInt8], key: ECPrivateKey = ECPrivateKey(generating: .p256)) throws -> EvidenceMessage {
            let spki = key.publicKey.spkiDER
            let attester = try SimulatedAttester(platformKey: platformKey, measurement: deviceMeasurement)
            return EvidenceMessage(role: "device", token: try attester.token(challenge: RealmChallenge.binding(nonce: nonce, spkiDER: spki)), publicKey: spki)
        }

        /// The error the certifier answers `message` with on `client`.
        func refusal(_ client: ChannelClient, _ message: Message) -> ChannelError? {
            #expect(throws: ChannelError.self) { try client.request(message) }
        }

        /// A connection that already asked for a nonce, and the nonce.
        func withNonce() throws -> (ChannelClient, [UInt8]) {
            let client = try connect()
            return (client, try client.request(NonceRequest(), expecting: NonceMessage.self).nonce)
        }
    }

    @Test func everyRoleAttestsAndEachRefusalSaysWhy() throws {
        let domain = try Domain()
        let certifier = try CertifierProcess(domain)
        defer { certifier.stop() }

        // The three roles, from the freshly built binaries.
        for role in ["runtime", "provider", "device"] {
            let result = try domain.attest(role, certifier: certifier)
            #expect(result.status == 0, "\(role): \(result.standardError)")
            let measurement = Hex.short(try ExecutableMeasurement.of(file: Executables.path("cml-\(role)")))
            #expect(result.lines.first?.hasPrefix("admitted as \(role) (measurement \(measurement)), certificate valid until ") == true, "\(result.lines)")
            #expect((result.lines.count == 2) == (role == "runtime"))
        }

        // A modified binary: a copy of the device executable with bytes appended, run from its own path.
        let modified = "\(domain.folder)/cml-device-modified"
        try FileBytes.writeAtomically(try FileBytes.read(Executables.path("cml-device"), limit: Executables.maximumSize) + Array("tampered".utf8), to: modified, mode: 0o755)
        let tampered = try domain.attest("device", certifier: certifier, program: modified)
        #expect(tampered.status == 1)
        let modifiedMeasurement = Hex.short(try ExecutableMeasurement.of(file: modified))
        #expect(tampered.standardError.contains(
            "attestation refused by the certifier: measurement \(modifiedMeasurement) is not an accepted device measurement in policy \"confidential-ml, ML mode\""))

        // The device binary claiming the runtime role.
        let impostor = try domain.attest("device", certifier: certifier, extra: ["--claim-role", "runtime"])
        #expect(impostor.status == 1)
        #expect(impostor.standardError.contains("is not an accepted runtime measurement in policy \"confidential-ml, ML mode\""))
        #expect(impostor.standardError.contains("; it is accepted for device"))

        // A platform key the policy does not trust: another domain's simulated platform.
        let otherState = "\(domain.folder)/other"
        #expect(try Executables.run("cml-certifier", ["init", "--state", otherState]).status == 0)
        let untrusted = try domain.attest("device", certifier: certifier, platform: "\(otherState)/platform")
        #expect(untrusted.status == 1)
        #expect(untrusted.standardError.contains("attestation refused by the certifier: platform signature: no trusted platform key for instance ID"))

        // Exchanges no honest attest makes.
        let raw = try RawClient(domain, certifier)
        let unissued = raw.refusal(try raw.connect(), try raw.evidence(nonce: SecureRandom.bytes(32)).frame)
        #expect(unissued?.code == .nonceUnknown)

        let (replayClient, replayNonce) = try raw.withNonce()
        let honest = try raw.evidence(nonce: replayNonce)
        _ = try replayClient.request(honest, expecting: AdmissionMessage.self)
        #expect(raw.refusal(replayClient, honest.frame)?.code == .nonceReused)

        let (unboundClient, unboundNonce) = try raw.withNonce()
        let sent = try raw.evidence(nonce: unboundNonce)
        let unbound = raw.refusal(unboundClient, EvidenceMessage(role: "device", token: sent.token, publicKey: ECPrivateKey(generating: .p256).publicKey.spkiDER).frame)
        #expect(unbound?.code == .evidenceRejected)
        #expect(unbound?.message.hasPrefix("freshness: ") == true)

        let (forgedClient, forgedNonce) = try raw.withNonce()
        let genuine = try raw.evidence(nonce: forgedNonce)
        var token = genuine.token
        token[token.count - 1] ^= 0xff
        let forged = raw.refusal(forgedClient, EvidenceMessage(role: "device", token: token, publicKey: genuine.publicKey).frame)
        #expect(forged?.code == .evidenceRejected)
        #expect(forged?.message.hasPrefix("realm signature: ") == true)

        // Malformed input: a frame that is not CBOR, then evidence whose token is not a token.
        let garbled = try raw.connect()
        try garbled.connection.tls.write([0, 0, 0, 3, 0xff, 0xfe, 0xfd])
        let answer = try garbled.connection.receive()
        #expect(try ErrorMessage(answer).code == .malformedFrame)
        let (malformedClient, _) = try raw.withNonce()
        let malformed = raw.refusal(malformedClient, EvidenceMessage(role: "device", token: Array("not a token".utf8), publicKey: genuine.publicKey).frame)
        #expect(malformed?.code == .evidenceRejected)
        #expect(malformed?.message.hasPrefix("decode: ") == true)

        // It goes on serving.
        #expect(try domain.attest("device", certifier: certifier).status == 0)

        let (status, log) = certifier.stop()
        #expect(status == 0)
        #expect(log.contains("[certifier] admitted runtime from 127.0.0.1:"))
        #expect(log.contains("warning: refused device from 127.0.0.1:"))
        #expect(log.contains("[certifier] stopped"))

        let lines = try AuditLog.read(path: domain.auditLog)
        #expect(lines.first?.event == .start)
        #expect(lines.last?.event == .stop)
        let entries = lines.filter { $0.decision != nil }
        #expect(entries.map { $0.code ?? $0.role } == [
            "runtime", "provider", "device", "appraisal-failed", "appraisal-failed", "evidence-rejected", "nonce-unknown", "device",
            "nonce-reused", "evidence-rejected", "evidence-rejected", "evidence-rejected", "device",
        ])
        #expect(entries[3].reasons.first?.hasPrefix("measurement \(modifiedMeasurement) is not an accepted device measurement") == true)
        #expect(entries[5].reasons.first?.hasPrefix("platform signature: no trusted platform key") == true)
        #expect(entries[9].reasons.first?.hasPrefix("freshness: ") == true)
        #expect(entries[10].reasons.first?.hasPrefix("realm signature: ") == true)
        #expect(entries[11].reasons.first?.hasPrefix("decode: ") == true)
    }

    @Test func fiftyClientsAttestAtOnce() throws {
        let domain = try Domain()
        let certifier = try CertifierProcess(domain)
        defer { certifier.stop() }
        let failures = Mutex([String]())
        let port = certifier.port
        DispatchQueue.concurrentPerform(iterations: 50) { _ in
            do {
                let result = try domain.attest("device", port: port)
                if result.status != 0 { failures.withLock { $0.append(result.standardError) } }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        certifier.stop()
        let entries = try AuditLog.read(path: domain.auditLog).filter { $0.decision != nil }
        #expect(entries.count == 50)
        #expect(entries.filter { $0.decision == .admitted && $0.role == "device" }.count == 50)
        #expect(Set(entries.compactMap(\.serial)).count == 50)
    }

    @Test func theCertifierRefusesAPolicyWithOneByteChanged() throws {
        let domain = try Domain()
        let signed = try FileBytes.read(domain.signedPolicy, limit: SignedPolicy.maximumFileSize)
        let name = try #require(signed.firstRange(of: Array("ML mode".utf8)))
        for offset in [name.lowerBound, signed.count - 1] {
            var changed = signed
            changed[offset] ^= 0x01
            let path = "\(domain.folder)/changed.signed"
            try FileBytes.writeAtomically(changed, to: path)
            let result = try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", path, "--listen", "127.0.0.1:0"])
            #expect(result.status == 1)
            #expect(result.standardOutput.isEmpty)
            #expect(result.standardError.contains(
                "Error: refusing to serve this policy: the policy's signature does not verify under the key of the policy certificate \"cml-policy\""))
        }
        let show = try Executables.run("cml-policy", ["show", domain.signedPolicy, "--policy-cert", domain.policyCertificate])
        #expect(show.status == 0)
        #expect(show.lines.first?.hasPrefix("\(domain.signedPolicy): signature valid (ES384, certificate \"cml-policy\"") == true)
        #expect(show.standardOutput.contains("\"name\": \"confidential-ml, ML mode\""))
    }

    @Test func initMakesSeveralPlatformsThatAGeneratedPolicyTrusts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-platforms-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let initialized = try Executables.run("cml-certifier", ["init", "--state", "\(folder)/state", "--platforms", "3"])
        #expect(initialized.status == 0, "\(initialized.standardError)")
        let directories = ["platform", "platform-2", "platform-3"].map { "\(folder)/state/\($0)" }
        let instances = try directories.map { try #require(Hex.decode(FileBytes.readText("\($0)/instance-id", limit: .init(bytes: 100, kind: "an instance ID")).trimmingCharacters(in: .whitespacesAndNewlines))) }
        #expect(Set(instances).count == 3)
        #expect(initialized.lines.filter { $0.hasPrefix("simulated platform ") } == zip(instances, directories).map { "simulated platform \(Hex.short($0)) in \($1)" })

        let template = Executables.repositoryRoot.appendingPathComponent("policy-templates/fl.json").path
        let device = try Executables.path("cml-device")
        var arguments = ["generate", "--template", template, "--out", "\(folder)/fl.json"]
        for role in ["runtime", "provider", "device"] { arguments += ["--measure", "\(role)=\(device)"] }
        for directory in directories { arguments += ["--platform-key", "\(directory)/platform.pem"] }
        let generated = try Executables.run("cml-policy", arguments)
        #expect(generated.status == 0, "\(generated.standardError)")
        let policy = try PolicyDocument(json: FileBytes.read("\(folder)/fl.json", limit: SignedPolicy.maximumFileSize))
        #expect(policy.platforms.map(\.instanceID.bytes) == instances)
        #expect(try Executables.run("cml-certifier", ["init", "--state", "\(folder)/other", "--platforms", "0"]).status == 64)
    }

    @Test func policyAndInitCommandsExplainMistakes() throws {
        let domain = try Domain()
        let device = try Executables.path("cml-device")
        let measured = try Executables.run("cml-policy", ["measure", device])
        #expect(measured.lines == ["\(Hex.encode(Digest.sha256.hash(try FileBytes.read(device, limit: Executables.maximumSize))))  \(device)"])

        let again = try Executables.run("cml-certifier", ["init", "--state", domain.state])
        #expect(again.status == 1)
        #expect(again.standardError.contains("already holds a certifier state (policy.crt); give --force"))
        #expect(try Executables.run("cml-certifier", ["init", "--state", domain.state, "--force", "--secret", "device:key"]).status == 0)
        #expect(FileBytes.permissions("\(domain.state)/secrets/device/key") == 0o600)
        #expect(try Executables.run("cml-certifier", ["init", "--state", domain.state, "--secret", "nocolon"]).status == 64)

        let template = Executables.repositoryRoot.appendingPathComponent("policy-templates/fl.json").path
        let missing = try Executables.run("cml-policy", [
            "generate", "--template", template, "--measure", "runtime=\(device)", "--rim", "device=\(String(repeating: "ab", count: 32))",
            "--platform-key", "\(domain.platform)/platform.pem", "--out", "\(domain.folder)/fl.json",
        ])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("${measurement:provider} is not filled: no measurement was given for that role (give --measure ROLE=PATH or --rim ROLE=HEX)"))
        let badRIM = try Executables.run("cml-policy", ["generate", "--template", template, "--rim", "device=zz", "--platform-key", "x", "--out", "y"])
        #expect(badRIM.status == 64)

        try FileBytes.writeAtomically(text: "{\"format\": \"cml-policy\"}", to: "\(domain.folder)/bad.json")
        let unsigned = try Executables.run("cml-policy", ["sign", "--key", "\(domain.state)/policy.key", "--in", "\(domain.folder)/bad.json", "--out", "\(domain.folder)/bad.signed"])
        #expect(unsigned.status == 1)
        #expect(unsigned.standardError.contains("version: is missing"))
        #expect(!FileBytes.exists("\(domain.folder)/bad.signed"))

        // After --force the old policy is another domain's.
        let result = try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("refusing to serve this policy"))
    }
}
