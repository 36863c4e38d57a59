import Admission
import Attestation
import ByteKit
import CBORKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import TestSupport
import Testing

@Suite(.serialized) struct CertifierServiceTests {
    @Test func admitsARoleWithItsSecretsAndRecordsIt() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (summary, directory) = try certifier.attest(.runtime, TestCertifier.runtimeMeasurement)
        #expect(summary.role == .runtime)
        #expect(summary.measurement == TestCertifier.runtimeMeasurement)
        #expect(summary.secrets.keys.sorted() == ["extra", "sealing"])
        #expect(summary.secrets["sealing"] == (try certifier.state.secret(SecretID(parsing: "runtime:sealing"))))
        #expect(summary.policy.document.name == "test")
        for (file, mode) in [("tls.key", 0o600), ("secrets/sealing", 0o600), ("admission.crt", 0o644), ("policy.crt", 0o644), ("policy.signed", 0o644)] {
            #expect(FileBytes.permissions("\(directory)/\(file)") == UInt32(mode), "\(file)")
        }
        let entries = try certifier.audit()
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.decision == .admitted)
        #expect(entry.role == "runtime")
        #expect(entry.measurement == Hex.encode(TestCertifier.runtimeMeasurement))
        #expect(entry.serial == summary.certificate.serialNumberHex)
        #expect(entry.peer?.hasPrefix("127.0.0.1:") == true)
        #expect(entry.reasons.isEmpty)
    }

    @Test func credentialsGiveMutualTLSBetweenAdmittedRoles() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (_, runtimeState) = try certifier.attest(.runtime, TestCertifier.runtimeMeasurement)
        let (_, deviceState) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let runtime = try RoleCredentials.load(stateDirectory: runtimeState, role: .runtime)
        let device = try RoleCredentials.load(stateDirectory: deviceState, role: .device)
        #expect(runtime.measurement == TestCertifier.runtimeMeasurement)
        #expect(runtime.secret(named: "sealing")?.count == 32)
        #expect(device.secret(named: "sealing") == nil)
        #expect(runtime.policy.allowsChannel(from: .device, to: .runtime))

        let server = try ChannelServer(
            host: "127.0.0.1", port: 0, context: runtime.serverContext(),
            configuration: .init(name: "runtime", allowedPeerRoles: runtime.policy.rolesAllowedToConnect(to: .runtime)),
            logger: quietLogger, handler: ChannelServer.answering { peer, _ in Message(type: "pong", fields: ["role": .text(peer?.role.rawValue ?? "")]) })
        try server.start()
        defer { server.stop() }
        let client = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: device.clientContext(), expectedRoles: [.runtime])
        #expect(try client.request(Message(type: "ping"))["role"] == .text("device"))
        client.close()
    }

    @Test func roleCredentialsRefuseWhatCannotBeUsed() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let empty = temporaryFolder("empty")
        #expect(throws: AdmissionError(.notAdmitted, "\(empty) holds no admission for device (no admission.crt): run `cml-device attest` first")) {
            try RoleCredentials.load(stateDirectory: empty, role: .device)
        }
        let (summary, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let later = summary.expires + 1
        let expired = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device, now: later) }
        #expect(expired?.message.hasPrefix("the admission certificate of device in \(directory) expired at ") == true)
        #expect(expired?.message.hasSuffix("; attest again (`cml-device attest`)") == true)
        #expect(expired?.kind == .expired)
        let wrongRole = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .runtime) }
        #expect(wrongRole?.message == "\(directory)/admission.crt: the admission certificate admits \"device\", not \"runtime\"; attest again (`cml-runtime attest`)")
        // The check's own error is kept underneath, with the same kind.
        #expect(wrongRole?.kind == .certificateInvalid)
        #expect((wrongRole?.cause as? AdmissionError)?.message == "the admission certificate admits \"device\", not \"runtime\"")
        // A policy changed on disk is not the one the certificate was issued under.
        var signed = try FileBytes.read("\(directory)/policy.signed", limit: SignedPolicy.maximumFileSize)
        signed[signed.count / 2] ^= 1
        try FileBytes.writeAtomically(signed, to: "\(directory)/policy.signed")
        let tampered = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(tampered?.message.hasPrefix("\(directory)/policy.signed has SHA-256 ") == true)
        #expect(tampered?.kind == .policyInvalid)
        // A key that is not the certificate's.
        try FileBytes.writeAtomically(text: ECPrivateKey(generating: .p256).pkcs8PEM, to: "\(directory)/tls.key", mode: 0o600)
        let mismatched = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(mismatched?.message.contains("is not for this role's TLS key") == true)
    }

    @Test func theCertificateNamesThePolicyItWasIssuedUnderAndThePlatform() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (summary, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let admission = try AdmissionCertificate(trusted: summary.certificate)
        #expect(admission.policyHash == Digest.sha256.hash(summary.policy.bytes))
        #expect(admission.policyHash == certifier.service.policyHash)
        #expect(admission.platformInstance == PlatformClaims.instanceID(for: certifier.platformKey.publicKey))
    }

    @Test func roleCredentialsRefuseAPolicyFileSwappedForAnotherValidlySignedOne() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (summary, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        // The host signs nothing; it puts back another policy the domain key once signed.
        var other = summary.policy.document
        other.name = "another policy of the same domain"
        let swapped = try SignedPolicy.sign(other, key: certifier.policyKey)
        try FileBytes.writeAtomically(swapped.bytes, to: "\(directory)/policy.signed")
        let error = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(
            error?.message
                == "\(directory)/policy.signed has SHA-256 \(Hex.short(Digest.sha256.hash(swapped.bytes))), but the admission certificate was issued under "
                + "\(Hex.short(Digest.sha256.hash(summary.policy.bytes))): the policy file was replaced; attest again (`cml-device attest`)")
        // The policy that came with the admission loads again.
        try FileBytes.writeAtomically(summary.policy.bytes, to: "\(directory)/policy.signed")
        #expect(try RoleCredentials.load(stateDirectory: directory, role: .device).policy == summary.policy.document)
    }

    @Test func admissionsPerPlatformAreCappedPerHourAndTheRefusalIsAudited() throws {
        let certifier = try TestCertifier { $0.maxAdmissionsPerPlatformPerHour = 2 }
        defer { certifier.stop() }
        _ = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        certifier.clock.advance(600)
        _ = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let third = #expect(throws: AdmissionError.self) { try certifier.attest(.device, TestCertifier.deviceMeasurement) }
        #expect(third?.code == "rate-limited")
        // A refusal is told by its kind; the certifier's error frame is kept underneath.
        #expect(third?.kind == .refused)
        #expect((third?.cause as? ChannelError)?.kind == .remote)
        let instance = Hex.short(PlatformClaims.instanceID(for: certifier.platformKey.publicKey))
        #expect(third?.message.contains("platform \(instance) was admitted 2 times in the last hour, the policy's cap (max-admissions-per-platform-per-hour)") == true)
        let entries = try certifier.audit()
        #expect(entries.map(\.decision) == [.admitted, .admitted, .refused])
        #expect(entries.last?.code == "rate-limited")
        // An hour after the first admission, the window has room for one more.
        certifier.clock.advance(3000)
        _ = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        #expect(throws: AdmissionError.self) { try certifier.attest(.device, TestCertifier.deviceMeasurement) }
    }

    @Test func roleCredentialsRefuseACertificateFromAnotherAuthority() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (summary, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        // A forger's root copies the domain's names, and its certificate names the right role, key and measurement.
        let forgerKey = ECPrivateKey(generating: .p384)
        let forgerRoot = try CertificateBuilder(
            subjectCommonName: CertifierState.policyCommonName, subjectPublicKey: forgerKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: forgerKey)
        let tlsKey = try ECPrivateKey(pem: PEMFile.read("\(directory)/tls.key"))
        let forgerIssuingKey = ECPrivateKey(generating: .p256)
        let forgerIssuing = try IssuingCertificate.issue(for: forgerIssuingKey.publicKey, policyKey: forgerKey, policyCertificate: forgerRoot)
        let forged = try AdmissionIssuer(issuingKey: forgerIssuingKey, issuingCertificate: forgerIssuing, lifetime: 3600)
            .issue(role: .device, measurement: summary.measurement, subjectKey: tlsKey.publicKey)
        try FileBytes.writeAtomically(text: forged.pem + forgerIssuing.pem, to: "\(directory)/admission.crt")
        let error = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(
            error?.message
                == "\(directory)/admission.crt: the admission certificate is issued by \"cml-issuer\", which is not issued by this domain's policy key (\"cml-issuer\" is issued by another key named \"cml-policy\"); attest again (`cml-device attest`)")
        // The forger's issuing certificate alone does not help: the real one is needed to reach the root.
        try FileBytes.writeAtomically(text: forged.pem, to: "\(directory)/admission.crt")
        let alone = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(alone?.message.contains("is not issued by this domain's policy key (\"device\" is issued by \"cml-issuer\")") == true, "\(String(describing: alone))")
    }

    @Test func roleCredentialsRefuseAnAdmissionIssuedByALeafUsedAsACA() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (_, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        // A runtime's admission (a leaf the issuing key signed) signs a device certificate for the device's key:
        // the runtime's key poses as a CA named as the runtime's certificate.
        let (_, runtimeDirectory) = try certifier.attest(.runtime, TestCertifier.runtimeMeasurement)
        let runtimeKey = try ECPrivateKey(pem: PEMFile.read("\(runtimeDirectory)/tls.key"))
        let runtimeChain = try Certificate.loadPEMChain(contentsOfFile: "\(runtimeDirectory)/admission.crt")
        let deviceKey = try ECPrivateKey(pem: PEMFile.read("\(directory)/tls.key"))
        let forged = try TestDomain.forged(
            role: .device, under: TLSIdentity(certificate: runtimeChain[0], privateKey: runtimeKey, chain: Array(runtimeChain.dropFirst())),
            subjectKey: deviceKey)
        try FileBytes.writeAtomically(text: ([forged.certificate] + forged.chain).map(\.pem).joined(), to: "\(directory)/admission.crt")
        let error = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: directory, role: .device) }
        #expect(
            error?.message
                == "\(directory)/admission.crt: the admission certificate is issued by \"runtime\", which is used as a CA but is not one; attest again (`cml-device attest`)")
    }

    @Test func roleCredentialsStillTakeAnAdmissionThePolicyKeySignedDirectly() throws {
        // What a certifier from before issuing keys issued: trusted until it expires (docs/operations.md).
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (summary, directory) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        #expect(summary.chain == [certifier.state.issuingCertificate])
        let tlsKey = try ECPrivateKey(pem: PEMFile.read("\(directory)/tls.key"))
        let direct = try AdmissionCertificate.issue(
            role: .device, measurement: summary.measurement, policyHash: certifier.service.policyHash, subjectKey: tlsKey.publicKey,
            notBefore: Date() - 60, notAfter: Date() + 3600, issuerKey: certifier.policyKey, issuerCertificate: certifier.state.policyCertificate)
        try FileBytes.writeAtomically(text: direct.pem, to: "\(directory)/admission.crt")
        let credentials = try RoleCredentials.load(stateDirectory: directory, role: .device)
        #expect(credentials.certificate == direct && credentials.chain.isEmpty)
    }

    /// Sends `evidence` on `client` and returns the certifier's error.
    func refusal(_ client: ChannelClient, _ message: Message) throws -> ChannelError? {
        #expect(throws: ChannelError.self) { try client.request(message) }
    }

    @Test func nonceRefusalsHaveTheirOwnCodes() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let attester = try certifier.attester(TestCertifier.deviceMeasurement)

        // Never issued: evidence before any nonce-request on this connection.
        let unissued = try refusal(certifier.connect(), evidence(role: "device", nonce: SecureRandom.bytes(32), attester: attester).frame)
        #expect(unissued?.code == .nonceUnknown)
        #expect(unissued?.message == "no nonce was issued on this connection; send \"nonce-request\" first")

        // Replayed: the same evidence twice on one connection.
        let client = try certifier.connect()
        let nonce = try client.request(NonceRequest(), expecting: NonceMessage.self)
        let admitted = try evidence(role: "device", nonce: nonce.nonce, attester: attester)
        _ = try client.request(admitted, expecting: AdmissionMessage.self)
        let replay = try refusal(client, admitted.frame)
        #expect(replay?.code == .nonceReused)

        // Replayed on a new connection with a new nonce: the challenge no longer matches.
        let other = try certifier.connect()
        _ = try other.request(NonceRequest(), expecting: NonceMessage.self)
        let stale = try refusal(other, admitted.frame)
        #expect(stale?.code == .evidenceRejected)
        #expect(stale?.message.hasPrefix("freshness: the realm challenge ") == true)

        // Expired: the certifier's clock moves past the nonce's lifetime, no wall-clock wait.
        let late = try certifier.connect()
        let expiry = certifier.clock() + 60
        let lateNonce = try late.request(NonceRequest(), expecting: NonceMessage.self)
        #expect(lateNonce.expires == UInt64(expiry.timeIntervalSince1970.rounded(.down)))
        certifier.clock.advance(61)
        let expired = try refusal(late, evidence(role: "device", nonce: lateNonce.nonce, attester: attester).frame)
        #expect(expired?.code == .nonceExpired)
        #expect(expired?.message == "the nonce expired at \(AuditEntry.timestamp(expiry)) (nonces live 60 s); ask for a new one")

        let codes = try certifier.audit().map { $0.code }
        #expect(codes == ["nonce-unknown", nil, "nonce-reused", "evidence-rejected", "nonce-expired"])
    }

    @Test func evidenceThatDoesNotVerifyIsRefusedWithTheStep() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let attester = try certifier.attester(TestCertifier.deviceMeasurement)
        func attempt(_ make: ([UInt8]) throws -> EvidenceMessage) throws -> ChannelError? {
            let client = try certifier.connect()
            let nonce = try client.request(NonceRequest(), expecting: NonceMessage.self)
            return try refusal(client, make(nonce.nonce).frame)
        }

        // A challenge bound to another key than the one sent.
        let unbound = try attempt { nonce in
            let sent = try evidence(role: "device", nonce: nonce, attester: attester)
            return EvidenceMessage(role: "device", token: sent.token, publicKey: ECPrivateKey(generating: .p256).publicKey.spkiDER)
        }
        #expect(unbound?.code == .evidenceRejected)
        #expect(unbound?.message.hasPrefix("freshness: the realm challenge ") == true)

        // A platform key the policy does not trust.
        let untrusted = try attempt { nonce in
            try evidence(role: "device", nonce: nonce, attester: certifier.attester(TestCertifier.deviceMeasurement, platform: ECPrivateKey(generating: .p384)))
        }
        #expect(untrusted?.code == .evidenceRejected)
        #expect(untrusted?.message.hasPrefix("platform signature: no trusted platform key for instance ID ") == true)

        // A forged realm signature: the last byte of the token is the realm signature's.
        let forged = try attempt { nonce in
            let honest = try evidence(role: "device", nonce: nonce, attester: attester)
            var token = honest.token
            token[token.count - 1] ^= 0xff
            return EvidenceMessage(role: "device", token: token, publicKey: honest.publicKey)
        }
        #expect(forged?.code == .evidenceRejected)
        #expect(forged?.message.hasPrefix("realm signature: the ES384 signature does not verify with the realm public key") == true)

        // Malformed: not a token, and a public key that is not one.
        let garbage = try attempt { nonce in EvidenceMessage(role: "device", token: [0xff, 0x00], publicKey: ECPrivateKey(generating: .p256).publicKey.spkiDER) }
        #expect(garbage?.code == .evidenceRejected)
        #expect(garbage?.message.hasPrefix("decode: ") == true)
        let badKey = try attempt { nonce in EvidenceMessage(role: "device", token: [1], publicKey: [1, 2, 3]) }
        #expect(badKey?.code == .badRequest)
        #expect(badKey?.message.hasPrefix("\"public-key\" is not the DER SubjectPublicKeyInfo of an EC key") == true)
        let missing = try refusal(certifier.connect(), Message(type: "evidence", fields: ["role": "device"]))
        #expect(missing?.code == .badRequest)
        #expect(missing?.message == "\"token\" is missing from \"evidence\"")

        // The certifier goes on serving.
        let (summary, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        #expect(summary.role == .device)
        let entries = try certifier.audit()
        #expect(entries.map(\.code) == ["evidence-rejected", "evidence-rejected", "evidence-rejected", "evidence-rejected", "bad-request", "bad-request", nil])
        #expect(entries[0].measurement == Hex.encode(TestCertifier.deviceMeasurement))
        #expect(entries[4].measurement == nil)
    }

    @Test func aClaimedRoleThatIsNoRoleNameIsRefusedAndRecordedHarmlessly() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let attester = try certifier.attester(TestCertifier.deviceMeasurement)
        func attempt(_ role: String) throws -> ChannelError? {
            let client = try certifier.connect()
            let nonce = try client.request(NonceRequest(), expecting: NonceMessage.self)
            return try refusal(client, evidence(role: role, nonce: nonce.nonce, attester: attester).frame)
        }
        // A newline would start a forged line in the certifier's log.
        let forging = try attempt("device\nadmitted runtime")
        #expect(forging?.code == .badRequest)
        #expect(forging?.message == "\"role\" is \"device\\nadmitted runtime\", which is not a role name (1 to 64 lowercase letters and hyphens)")
        // Long, but within the certifier's 64 KiB frames (a larger frame is refused before it is read).
        let long = try attempt(String(repeating: "x", count: 60_000))
        #expect(long?.code == .badRequest)
        #expect(try attempt("Device")?.code == .badRequest)
        #expect(try attempt("")?.code == .badRequest)

        let entries = try certifier.audit()
        #expect(entries.map(\.code) == ["bad-request", "bad-request", "bad-request", "bad-request"])
        #expect(entries[0].role == "\"device\\nadmitted runtime\"")
        #expect(entries[1].role == "\"" + String(repeating: "x", count: 64) + "...\"")
        #expect(entries[1].reasons.joined().count < 200)
        #expect(entries[2].role == "\"Device\"")
        #expect(entries[3].role == "")
    }

    @Test func appraisalRefusalsListEveryReason() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let client = AdmissionClient()
        func attest(_ role: Role, _ measurement: [UInt8]) throws -> AdmissionError? {
            #expect(throws: AdmissionError.self) {
                try client.attest(
                    role: role, certifierHost: "127.0.0.1", certifierPort: certifier.server.port,
                    policyCertificate: certifier.state.policyCertificate, attester: certifier.attester(measurement),
                    stateDirectory: temporaryFolder(role.rawValue))
            }
        }
        let modified = try attest(.device, [UInt8](repeating: 0x9d, count: 32))
        #expect(modified?.code == "appraisal-failed")
        #expect(modified?.message == "attestation refused by the certifier: measurement 9d9d9d9d... is not an accepted device measurement in policy \"test\" (accepted: c4c4c4c4...)")
        let impostor = try attest(.runtime, TestCertifier.deviceMeasurement)
        #expect(impostor?.message == "attestation refused by the certifier: measurement c4c4c4c4... is not an accepted runtime measurement in policy \"test\" (accepted: 5e5e5e5e...); it is accepted for device")
        let certifierRole = try attest(.certifier, TestCertifier.deviceMeasurement)
        #expect(certifierRole?.message.hasSuffix("; role \"certifier\" is never issued") == true)
        let entries = try certifier.audit()
        #expect(entries.map(\.decision) == [.refused, .refused, .refused])
        #expect(entries[1].reasons == ["measurement c4c4c4c4... is not an accepted runtime measurement in policy \"test\" (accepted: 5e5e5e5e...); it is accepted for device"])
        #expect(entries[2].reasons.count == 2)
    }

    @Test func unknownRequestsAreRefused() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let error = try refusal(certifier.connect(), Message(type: "put-model"))
        #expect(error?.code == .unknownType)
        #expect(error?.message == "the certifier serves \"nonce-request\", \"evidence\", \"anchor-read\", \"anchor-advance\", \"revocations\", not \"put-model\"")
    }

    @Test func refusesToServeAPolicyItsKeyDidNotSign() throws {
        let certifier = try TestCertifier()
        certifier.stop()
        let policy = certifier.service.policy
        let stranger = try SignedPolicy.sign(json: policy.json, key: ECPrivateKey(generating: .p384))
        let error = #expect(throws: CertifierError.self) {
            try CertifierService(state: certifier.state, policyBytes: stranger.bytes, logger: quietLogger)
        }
        #expect(error?.message.hasPrefix("refusing to serve this policy: the policy's signature does not verify") == true)
        // A program tells the refusal by its code, and finds the policy's own reason underneath.
        #expect(error?.code == .policyRefused)
        let cause = try #require(error?.cause as? PolicyError)
        #expect(error?.message == "refusing to serve this policy: \(cause)")
        var document = policy.document
        document.roles["certifier"] = document.roles["device"]
        // The signer refuses it, with the reason the certifier gives for one signed some other way.
        #expect(throws: PolicyError(path: "roles.certifier", "is reserved: only the certifier holds the role \"certifier\"")) {
            try SignedPolicy.sign(document, key: certifier.policyKey)
        }
        let claimsCertifier = try COSESign1.sign(payload: document.jsonBytes(), key: certifier.policyKey, alg: .es384)
        #expect(throws: CertifierError(
            .policyRefused, "refusing to serve this policy: roles.certifier: the signed policy is not valid: is reserved: only the certifier holds the role \"certifier\""
        )) {
            try CertifierService(state: certifier.state, policyBytes: claimsCertifier.encoded, logger: quietLogger)
        }
        // The secrets the policy names were made when the service started.
        #expect(try certifier.state.secret(SecretID(parsing: "runtime:extra"))?.count == 32)
    }
}

