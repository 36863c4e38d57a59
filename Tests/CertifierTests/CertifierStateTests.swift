import Attestation
import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Testing

@Suite struct CertifierStateTests {
    let folder = temporaryFolder("state")

    @Test func initMakesKeysCertificatesPlatformAndSecrets() throws {
        let state = try CertifierState.initialize(directory: folder, secrets: [SecretID(parsing: "runtime:sealing"), SecretID(parsing: "device:x")])
        for key in ["policy.key", "certifier.key", "platform/platform.key", "secrets/runtime/sealing", "secrets/device/x"] {
            #expect(FileBytes.permissions("\(folder)/\(key)") == 0o600, "\(key)")
        }
        #expect(FileBytes.permissions(folder) == 0o700)
        #expect(state.policyKey.curve == .p384)
        #expect(state.policyCertificate.isCertificateAuthority)
        #expect(state.policyCertificate.isSelfIssued)
        #expect(try state.policyCertificate.publicKey == state.policyKey.publicKey)
        let identity = try PeerIdentity(certificate: state.tlsCertificate)
        #expect(identity.role == .certifier)
        #expect(identity.measurement == nil)
        #expect(try CertificateVerifier(trustedRoot: state.policyCertificate).verify(state.tlsCertificate).isTrusted)
        let platform = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        #expect(try PEMFile.read("\(folder)/platform/instance-id") == Hex.encode(PlatformClaims.instanceID(for: platform.publicKey)) + "\n")
        #expect(try state.secret(SecretID(parsing: "runtime:sealing"))?.count == 32)
        #expect(try state.secret(SecretID(parsing: "runtime:other")) == nil)

        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.policyCertificate == state.policyCertificate)
        #expect(loaded.tlsCertificate == state.tlsCertificate)
    }

    @Test func refusesToOverwriteUnlessForced() throws {
        let first = try CertifierState.initialize(directory: folder)
        let sealing = try #require(try first.secret(SecretID(parsing: "runtime:sealing")))
        let error = #expect(throws: CertifierError.self) { try CertifierState.initialize(directory: folder) }
        #expect(error?.message.hasPrefix("\(folder) already holds a certifier state (policy.key); give --force") == true)
        #expect(try CertifierState.load(directory: folder).policyCertificate == first.policyCertificate)
        let second = try CertifierState.initialize(directory: folder, force: true)
        #expect(second.policyCertificate != first.policyCertificate)
        #expect(try second.secret(SecretID(parsing: "runtime:sealing")) != sealing)
    }

    @Test func loadRenewsATLSCertificateNearItsEnd() throws {
        let made = try CertifierState.initialize(directory: folder, now: Date() - 350 * 86400)
        let loaded = try CertifierState.load(directory: folder)
        #expect(loaded.tlsCertificate != made.tlsCertificate)
        #expect(loaded.tlsCertificate.notAfter > Date() + 300 * 86400)
        #expect(try loaded.tlsCertificate.publicKey == made.tlsKey.publicKey)
        #expect(try CertificateVerifier(trustedRoot: loaded.policyCertificate).verify(loaded.tlsCertificate).isTrusted)
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
        #expect(throws: CertifierError(.stateMissing, "\(folder) holds no certifier state (no policy.key); run `cml-certifier init --state \(folder)` first")) {
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
