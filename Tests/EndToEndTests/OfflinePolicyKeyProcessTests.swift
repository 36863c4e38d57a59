import Admission
import ByteKit
import Foundation
import Logging
import OpenSSLKit
import Policy
import TestSupport
import Testing

/// The policy key kept offline (issue 12) with real processes: the certifier serves, revokes and
/// reloads with no `policy.key` in its folder, admissions and revocation lists come from the issuing
/// key, and `serve` refuses an issuing certificate the policy key did not make a valid CA.
@Suite(.serialized)
struct OfflinePolicyKeyProcessTests {
    /// Moves the domain's `policy.key` out of the certifier's folder, as docs/operations.md says; returns where it went.
    static func moveOffline(_ domain: Domain) throws -> String {
        let offline = "\(domain.folder)/offline"
        try FileBytes.makeDirectory(offline, mode: 0o700)
        try FileManager.default.moveItem(atPath: "\(domain.state)/policy.key", toPath: "\(offline)/policy.key")
        return "\(offline)/policy.key"
    }

    @Test func aCertifierWithoutThePolicyKeyServesTheWholeDomain() throws {
        let domain = try Domain()
        _ = try Self.moveOffline(domain)
        let certifier = try CertifierProcess(domain)
        defer { certifier.stop() }
        let admitted = try AdmittedRoles(domain: domain, certifier: certifier)
        for role in ["provider", "device"] { try admitted.admit(role) }

        // Each role that keeps a folder stores its certificate followed by the issuing certificate, and presents both.
        let issuing = try Certificate(pem: PEMFile.read("\(domain.state)/issuer.crt"))
        let device = try RoleCredentials.load(stateDirectory: admitted.state("device"), role: .device)
        #expect(device.chain == [issuing])
        #expect(try Certificate.loadPEMChain(contentsOfFile: "\(admitted.state("device"))/admission.crt").count == 2)
        #expect(device.certificate.isSignatureValid(issuerKey: try issuing.publicKey))
        #expect(!device.certificate.isSignatureValid(issuerKey: try device.policyCertificate.publicKey))

        // The device talks to the runtime, each checking the other's chain.
        let runtime = try RunningProcess(
            "cml-runtime",
            [
                "serve", "--state", admitted.state("runtime"), "--listen", "127.0.0.1:0", "--mode", "ml", "--certifier", "127.0.0.1:\(certifier.port)",
                "--policy-cert", domain.policyCertificate, "--attester", "sim", "--platform", domain.platform,
            ])
        defer { runtime.stop() }
        let port = try runtime.waitForPort { $0.hasPrefix("serving ML mode on ") }
        let model = "\(domain.folder)/initial.cmlm"
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "1", "--out", model]))
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", admitted.state("provider"), model]))
        let predict = try Executables.run("cml-device", ["predict", "--runtime", "127.0.0.1:\(port)", "--state", admitted.state("device"), "abo"])
        try AdmittedDomain.check(predict)

        // The revocation list: revoked without the policy key, served signed by the issuing key, verified to the policy certificate.
        let watch = RevocationWatch(
            certifierHost: "127.0.0.1", certifierPort: certifier.port, policyCertificate: device.policyCertificate,
            context: try device.clientContext(), interval: 3600, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            changed: { _ in })
        #expect(try watch.refresh().version == 0)
        let provider = try RoleCredentials.load(stateDirectory: admitted.state("provider"), role: .provider)
        try AdmittedDomain.check(
            try Executables.run("cml-certifier", ["revoke", "--state", domain.state, "--serial", provider.certificate.serialNumberHex]))
        // The certifier reads its list again within 5 s.
        #expect(try eventually { try watch.refresh().version == 1 })
        #expect(watch.isRevoked(serial: provider.certificate.serialNumber))
        #expect(!FileManager.default.fileExists(atPath: "\(domain.state)/policy.key"))
        let (status, log) = certifier.stop()
        #expect(status == 0, "\(log)")
        #expect(!log.contains("warning") && !log.contains("policy.key"), "\(log)")
    }

    @Test func serveRefusesAnIssuingCertificateThatIsNotTheDomainsValidCAAndIssuerMakesANewOne() throws {
        let domain = try Domain()
        let policyKeyPath = try Self.moveOffline(domain)
        let policyKey = try ECPrivateKey(pem: PEMFile.read(policyKeyPath))
        let policyCertificate = try Certificate(pem: PEMFile.read(domain.policyCertificate))
        let issuingKey = try ECPrivateKey(pem: PEMFile.read("\(domain.state)/issuer.key"))
        let path = "\(domain.state)/issuer.crt"
        let fix = "issue a new one with `cml-certifier issuer --state \(domain.state) --policy-key FILE` on the machine that holds the policy key"
        func serve() throws -> Executables.Result {
            // A refused state exits before it listens.
            try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0"])
        }

        // Another domain's policy key certified the issuing key.
        let other = try TestDomain()
        let foreign = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: other.rootKey, policyCertificate: other.root)
        try FileBytes.writeAtomically(text: foreign.pem, to: path)
        let foreignRun = try serve()
        #expect(foreignRun.status == 1)
        #expect(foreignRun.standardError.contains("\(path): \(foreign) is not issued by this domain's policy key (\"cml-issuer\" is issued by another key named \"cml-policy\"); \(fix)"), "\(foreignRun.standardError)")

        // Expired.
        let expired = try IssuingCertificate.issue(
            for: issuingKey.publicKey, policyKey: policyKey, policyCertificate: policyCertificate, lifetime: 3600, now: Date() - 7200)
        try FileBytes.writeAtomically(text: expired.pem, to: path)
        let expiredRun = try serve()
        #expect(expiredRun.status == 1)
        #expect(expiredRun.standardError.contains("\(path): \(expired) expired on "), "\(expiredRun.standardError)")

        // Valid, but for less than the policy's admission lifetime (an hour).
        let short = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: policyKey, policyCertificate: policyCertificate, lifetime: 1800)
        try FileBytes.writeAtomically(text: short.pem, to: path)
        let shortRun = try serve()
        #expect(shortRun.status == 1)
        #expect(shortRun.standardError.contains("\(path) expires at \(UTCTimeText.format(short.notAfter)), within the policy's admission lifetime (3600 s)"), "\(shortRun.standardError)")

        // `cml-certifier issuer` refuses another domain's key, then certifies a new issuing key with the real one.
        let strangerKey = "\(domain.folder)/stranger.key"
        try FileBytes.writeAtomically(text: other.rootKey.pkcs8PEM, to: strangerKey, mode: 0o600)
        let stranger = try Executables.run("cml-certifier", ["issuer", "--state", domain.state, "--policy-key", strangerKey])
        #expect(stranger.status == 1)
        #expect(stranger.standardError.contains("\(strangerKey) is not the key of the policy "), "\(stranger.standardError)")
        let issued = try Executables.run("cml-certifier", ["issuer", "--state", domain.state, "--policy-key", policyKeyPath, "--days", "10", "--new-key"])
        try AdmittedDomain.check(issued)
        #expect(issued.standardOutput.hasPrefix("new issuing key certified: \(path) serial "), "\(issued.standardOutput)")
        #expect(try ECPrivateKey(pem: PEMFile.read("\(domain.state)/issuer.key")).publicKey != issuingKey.publicKey)

        // It serves again, warning that the certificate expires within 30 days, and admits under it.
        let certifier = try CertifierProcess(domain)
        let attested = try domain.attest("device", certifier: certifier, state: "\(domain.folder)/device")
        try AdmittedDomain.check(attested)
        let chain = try Certificate.loadPEMChain(contentsOfFile: "\(domain.folder)/device/admission.crt")
        let served = try Certificate(pem: PEMFile.read(path))
        #expect(chain.count == 2 && chain[1] == served)
        let (_, log) = certifier.stop()
        #expect(log.contains("warning: \(path) expires at "), "\(log)")
        #expect(log.contains("issue a new one with `cml-certifier issuer --state \(domain.state) --policy-key FILE`"))
    }

    @Test func aStateWithoutAnIssuingKeyIsToldTheCommandThatMakesOne() throws {
        let domain = try Domain()
        for name in ["issuer.key", "issuer.crt"] { try FileManager.default.removeItem(atPath: "\(domain.state)/\(name)") }
        let run = try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0"])
        #expect(run.status == 1)
        #expect(run.standardError.contains(
            "\(domain.state) holds no issuing key (issuer.key), which signs admissions since the policy key went offline; make one with `cml-certifier issuer --state \(domain.state) --policy-key FILE`"),
            "\(run.standardError)")
        try AdmittedDomain.check(
            try Executables.run("cml-certifier", ["issuer", "--state", domain.state, "--policy-key", "\(domain.state)/policy.key"]))
        // It serves, and says that policy.key, still in the folder, belongs offline.
        let certifier = try CertifierProcess(domain)
        let (status, log) = certifier.stop()
        #expect(status == 0)
        #expect(log.contains("\(domain.state)/policy.key is on this host, which serve does not need: move it to an offline machine"), "\(log)")
    }
}

/// Roles attesting into folders of their own under a domain's folder, to a running certifier.
private struct AdmittedRoles {
    let domain: Domain
    let certifier: CertifierProcess

    func state(_ role: String) -> String { "\(domain.folder)/\(role)" }

    func admit(_ role: String) throws {
        try AdmittedDomain.check(try domain.attest(role, certifier: certifier, state: state(role)))
    }
}
