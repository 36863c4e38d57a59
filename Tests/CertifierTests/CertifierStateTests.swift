import Attestation
import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import TestSupport
import Testing

@Suite struct CertifierStateTests {
    let folder = temporaryFolder("state")

    @Test func initMakesKeysCertificatesPlatformAndSecrets() throws {
        let state = try CertifierState.initialize(directory: folder, secrets: [SecretID(parsing: "runtime:sealing"), SecretID(parsing: "device:x")])
        for key in ["policy.key", "issuer.key", "certifier.key", "platform/platform.key", "secrets/runtime/sealing", "secrets/device/x"] {
            #expect(FileBytes.permissions("\(folder)/\(key)") == 0o600, "\(key)")
        }
        #expect(FileBytes.permissions(folder) == 0o700)
        let policyKey = try state.policyKeyInFolder()
        #expect(policyKey.curve == .p384)
        #expect(state.policyCertificate.isCertificateAuthority)
        #expect(state.policyCertificate.isSelfIssued)
        #expect(try state.policyCertificate.publicKey == policyKey.publicKey)
        // The issuing certificate: a CA the policy key signed, for a year, whose key signs the TLS certificate.
        let issuing = state.issuingCertificate
        #expect(issuing.isCertificateAuthority && issuing.keyUsage.contains(.keyCertSign) && issuing.keyUsage.contains(.digitalSignature))
        #expect(issuing.subjectCommonName == "cml-issuer" && issuing.issuerCommonName == "cml-policy")
        #expect(issuing.isSignatureValid(issuerKey: policyKey.publicKey))
        #expect(abs(issuing.notAfter.timeIntervalSinceNow - 365 * 86400) < 120)
        #expect(try issuing.publicKey == state.issuingKey.publicKey && state.issuingKey.curve == .p256)
        let identity = try PeerIdentity(certificate: state.tlsCertificate)
        #expect(identity.role == .certifier)
        #expect(identity.measurement == nil)
        #expect(state.tlsCertificate.isSignatureValid(issuerKey: state.issuingKey.publicKey))
        #expect(try CertificateVerifier(trustedRoot: state.policyCertificate).verify(state.tlsCertificate, intermediates: [issuing]).isTrusted)
        let platform = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        #expect(try PEMFile.read("\(folder)/platform/instance-id") == Hex.encode(PlatformClaims.instanceID(for: platform.publicKey)) + "\n")
        #expect(try state.secret(SecretID(parsing: "runtime:sealing"))?.count == 32)
        #expect(try state.secret(SecretID(parsing: "runtime:other")) == nil)

        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.policyCertificate == state.policyCertificate)
        #expect(loaded.tlsCertificate == state.tlsCertificate)
        #expect(loaded.issuingCertificate == state.issuingCertificate)
    }

    @Test func loadNeedsNoPolicyKey() throws {
        let state = try CertifierState.initialize(directory: folder)
        try FileManager.default.removeItem(atPath: state.policyKeyPath)
        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.issuingCertificate == state.issuingCertificate && loaded.tlsCertificate == state.tlsCertificate)
        #expect(throws: CertifierError(.stateMissing, "\(folder) holds no policy key (policy.key): it was moved offline")) {
            try loaded.policyKeyInFolder()
        }
        // init still sees a domain there, by its policy certificate.
        let again = #expect(throws: CertifierError.self) { try CertifierState.initialize(directory: folder) }
        #expect(again?.message.hasPrefix("\(folder) already holds a certifier state (policy.crt); give --force") == true)
    }

    @Test func loadRefusesAnIssuingCertificateThePolicyKeyDidNotMakeACA() throws {
        let state = try CertifierState.initialize(directory: folder)
        let policyKey = try state.policyKeyInFolder()
        let path = "\(folder)/issuer.crt"
        let fix = "issue a new one with `cml-certifier issuer --state \(folder) --policy-key FILE` on the machine that holds the policy key"
        // Another domain's policy key certified the issuing key.
        let other = try TestDomain()
        let foreign = try IssuingCertificate.issue(for: state.issuingKey.publicKey, policyKey: other.rootKey, policyCertificate: other.root)
        try FileBytes.writeAtomically(text: foreign.pem, to: path)
        let foreignError = #expect(throws: CertifierError.self) { try CertifierState.load(directory: folder) }
        #expect(foreignError?.code == .issuerRefused)
        #expect(foreignError?.message == "\(path): \(foreign) is not issued by this domain's policy key (\"cml-issuer\" is issued by another key named \"cml-policy\"); \(fix)")
        // The policy key's certificate for the issuing key, but a leaf (CA:FALSE).
        let leaf = try CertificateBuilder(subjectCommonName: "cml-issuer", subjectPublicKey: state.issuingKey.publicKey, notAfter: Date() + 86400)
            .issued(by: state.policyCertificate, issuerKey: policyKey)
        try FileBytes.writeAtomically(text: leaf.pem, to: path)
        let leafError = #expect(throws: CertifierError.self) { try CertifierState.load(directory: folder) }
        #expect(leafError?.message == "\(path): \(leaf) is not a CA certificate (basic constraints CA:TRUE and keyCertSign), so it cannot issue admissions; \(fix)")
        // Expired.
        let expired = try IssuingCertificate.issue(
            for: state.issuingKey.publicKey, policyKey: policyKey, policyCertificate: state.policyCertificate, lifetime: 3600, now: Date() - 7200)
        try FileBytes.writeAtomically(text: expired.pem, to: path)
        let expiredError = #expect(throws: CertifierError.self) { try CertifierState.load(directory: folder) }
        #expect(expiredError?.message.hasPrefix("\(path): \(expired) expired on ") == true, "\(String(describing: expiredError))")
        #expect(expiredError?.message.hasSuffix(fix) == true)
        #expect(expiredError?.code == .issuerRefused)
        // Certified for another key than issuer.key.
        let mismatched = try IssuingCertificate.issue(
            for: ECPrivateKey(generating: .p256).publicKey, policyKey: policyKey, policyCertificate: state.policyCertificate)
        try FileBytes.writeAtomically(text: mismatched.pem, to: path)
        #expect(throws: CertifierError(.stateCorrupt, "\(path) is not the certificate of issuer.key")) { try CertifierState.load(directory: folder) }
    }

    @Test func anOlderStateWithoutAnIssuingKeyIsToldHowToMakeOne() throws {
        let state = try CertifierState.initialize(directory: folder)
        for name in ["issuer.key", "issuer.crt"] { try FileManager.default.removeItem(atPath: "\(folder)/\(name)") }
        let error = #expect(throws: CertifierError.self) { try CertifierState.load(directory: folder) }
        #expect(error?.message.contains("holds no issuing key (issuer.key)") == true)
        #expect(error?.message.contains("`cml-certifier issuer --state \(folder) --policy-key FILE`") == true)
        // Certifying one with the policy key makes the state load again, and the TLS certificate moves under it.
        let made = try CertifierState.certifyIssuer(directory: folder, policyKey: state.policyKeyInFolder(), newKey: false)
        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.issuingCertificate == made.issuingCertificate)
        #expect(loaded.tlsCertificate.isSignatureValid(issuerKey: loaded.issuingKey.publicKey))
        #expect(try loaded.tlsKey.publicKey == state.tlsKey.publicKey)
    }

    @Test func certifyingTheIssuerAgainKeepsOrReplacesItsKey() throws {
        let state = try CertifierState.initialize(directory: folder)
        let policyKey = try state.policyKeyInFolder()
        let renewed = try CertifierState.certifyIssuer(directory: folder, policyKey: policyKey, newKey: false, lifetime: 30 * 86400)
        #expect(renewed.issuingKey.publicKey == state.issuingKey.publicKey)
        #expect(renewed.issuingCertificate != state.issuingCertificate)
        #expect(abs(renewed.issuingCertificate.notAfter.timeIntervalSinceNow - 30 * 86400) < 120)
        let replaced = try CertifierState.certifyIssuer(directory: folder, policyKey: policyKey, newKey: true)
        #expect(replaced.issuingKey.publicKey != state.issuingKey.publicKey)
        #expect(try CertifierState.load(directory: folder).issuingKey.publicKey == replaced.issuingKey.publicKey)
        // Another domain's policy key is refused, and nothing is written.
        let stranger = ECPrivateKey(generating: .p384)
        #expect(throws: CertifierError(.invalidSetting, "the policy key given is not the key of \(folder)/policy.crt (another domain's?)")) {
            try CertifierState.certifyIssuer(directory: folder, policyKey: stranger, newKey: true)
        }
        #expect(try CertifierState.load(directory: folder).issuingCertificate == replaced.issuingCertificate)
    }

    @Test func refusesToOverwriteUnlessForced() throws {
        let first = try CertifierState.initialize(directory: folder)
        let sealing = try #require(try first.secret(SecretID(parsing: "runtime:sealing")))
        let error = #expect(throws: CertifierError.self) { try CertifierState.initialize(directory: folder) }
        #expect(error?.message.hasPrefix("\(folder) already holds a certifier state (policy.crt); give --force") == true)
        #expect(try CertifierState.load(directory: folder).policyCertificate == first.policyCertificate)
        let second = try CertifierState.initialize(directory: folder, force: true)
        #expect(second.policyCertificate != first.policyCertificate)
        #expect(try second.secret(SecretID(parsing: "runtime:sealing")) != sealing)
    }

    @Test func loadRenewsATLSCertificateNearItsEnd() throws {
        let made = try CertifierState.initialize(directory: folder, now: Date() - 350 * 86400)
        // The issuing certificate is near its end too: certified again for another year first.
        _ = try CertifierState.certifyIssuer(directory: folder, policyKey: made.policyKeyInFolder(), newKey: false)
        try FileBytes.writeAtomically(text: made.tlsCertificate.pem, to: "\(folder)/certifier.crt")
        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.tlsCertificate != made.tlsCertificate)
        #expect(loaded.tlsCertificate.notAfter > Date() + 300 * 86400)
        #expect(try loaded.tlsCertificate.publicKey == made.tlsKey.publicKey)
        #expect(try CertificateVerifier(trustedRoot: loaded.policyCertificate).verify(loaded.tlsCertificate, intermediates: [loaded.issuingCertificate]).isTrusted)
        // Written back, so the next load keeps it.
        #expect(try CertifierState.load(directory: folder).tlsCertificate == loaded.tlsCertificate)
    }

    @Test func ensureSecretsMakesOnlyTheMissingOnes() throws {
        let state = try CertifierState.initialize(directory: folder)
        let made = try state.ensureSecrets([SecretID(parsing: "runtime:sealing"), SecretID(parsing: "provider:signing")])
        #expect(made == [try SecretID(parsing: "provider:signing")])
        #expect(try state.ensureSecrets([SecretID(parsing: "provider:signing")]) == [])
    }

    @Test func loadAndSecretNamesSayWhatIsWrong() throws {
        #expect(throws: CertifierError(.stateMissing, "\(folder) holds no certifier state (no policy.crt); run `cml-certifier init --state \(folder)` first")) {
            try CertifierState.load(directory: folder)
        }
        #expect(throws: CertifierError(.invalidSetting, "secret \"runtime\" is not ROLE:NAME (e.g. runtime:sealing)")) { try SecretID(parsing: "runtime") }
        #expect(throws: CertifierError(.invalidSetting, "secret name \"../x\" must be 1 to 64 lowercase letters, digits, '-' or '_'")) { try SecretID(parsing: "runtime:../x") }
        _ = try CertifierState.initialize(directory: folder)
        try FileBytes.writeAtomically(text: "garbage", to: "\(folder)/certifier.crt")
        let error = #expect(throws: CertifierError.self) { try CertifierState.load(directory: folder) }
        #expect(error?.message.hasPrefix("\(folder)/certifier.crt: ") == true)
    }
}
