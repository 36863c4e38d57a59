import Admission
import ByteKit
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing
import WordModel

/// The ML flow and its refusals with real processes: certifier, runtime, provider and device, each
/// attested, on loopback ports the OS picks.
@Suite(.serialized)
struct MLProcessTests {
    static let words = Executables.repositoryRoot.appendingPathComponent("data/words-short.txt").path

    /// A domain with the runtime serving and the provider's initial model uploaded, with the validation
    /// list `validation` (words) if given.
    func servingDomain(validation: [String]? = nil) throws -> (domain: AdmittedDomain, runtime: RunningProcess, port: UInt16, initial: [UInt8]) {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }
        let (runtime, port) = try domain.startRuntime()
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", Self.words, "--epochs", "5", "--out", model]))
        var arguments = ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider")]
        if let validation {
            let list = domain.path("validation.txt")
            try validation.map { $0 + "\n" }.joined().write(toFile: list, atomically: true, encoding: .utf8)
            arguments += ["--validation", list]
        }
        let send = try Executables.run("cml-provider", arguments + [model])
        try AdmittedDomain.check(send)
        let blob = try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
        let id = ModelBlob.shortID(of: blob)
        let sealed = validation.map { ["the runtime sealed the validation list (\($0.count) words)"] } ?? []
        #expect(send.lines == ["sent model \(id) (\(blob.count) bytes); the runtime acknowledged it"] + sealed)
        return (domain, runtime, port, blob)
    }

    /// A client of the runtime with the admission in `domain`'s state folder of `role`.
    func client(_ domain: AdmittedDomain, role: Role, port: UInt16) throws -> RuntimeClient {
        let credentials = try RoleCredentials.load(stateDirectory: domain.state(role.rawValue), role: role)
        return RuntimeClient(host: "127.0.0.1", port: port, context: try credentials.clientContext())
    }

    @Test func theMLFlow() throws {
        let (domain, runtime, port, initial) = try servingDomain()
        defer { runtime.stop() }
        let session = try Executables.run(
            "cml-device", ["run", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device")], input: "abo\nabout\nabo\n")
        try AdmittedDomain.check(session)
        let lines = session.lines
        try #require(lines.count == 8, "\(session.standardOutput)")
        #expect(lines[0] == "downloaded model \(ModelBlob.shortID(of: initial)) (\(initial.count) bytes, round 0) from the runtime at 127.0.0.1:\(port)")
        #expect(lines[1] == "Type characters: abo")
        #expect(lines[2].hasPrefix("Prediction: abo"))
        #expect(lines[3] == "Type correct answer: about")
        #expect(lines[4].hasPrefix("received model ") && lines[4].hasSuffix(" (trained 100 epochs on 1 word, loss 0.000)"))
        #expect(lines[5] == "Type characters: abo")
        #expect(lines[6] == "Prediction: about")
        #expect(lines[7] == "Type correct answer: ")

        // The runtime logged the training as the original did.
        let log = messages(runtime.standardError)
        let start = try #require(log.firstIndex { $0.hasPrefix("---- training on 1 word from device ") })
        #expect(log[(start + 1)...].prefix(10).map { $0.prefix { $0 != "," } } == (0..<10).map { "epoch: \($0 * 10)" })
        #expect(log[start + 11].hasPrefix("---- training done (100 epochs, "))

        // The scripted commands see the trained model.
        let predict = try Executables.run(
            "cml-device", ["predict", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "abo", "whi"])
        try AdmittedDomain.check(predict)
        #expect(predict.lines.first == "about")
        let train = try Executables.run(
            "cml-device", ["train", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "white"])
        try AdmittedDomain.check(train)
        #expect(train.lines.count == 1 && train.lines[0].hasPrefix("trained on 1 word: model ") && train.lines[0].contains("round 2)"))
    }

    @Test func clientsWithoutAdmissionAreRefusedAlsoByOpenSSLsClient() throws {
        let (domain, runtime, port, _) = try servingDomain()
        defer { runtime.stop() }
        let policy = domain.domain.policyCertificate
        let bare = try SClient.run(port: port, arguments: ["-CAfile", policy, "-verify_return_error"])
        #expect(bare.text.contains("Verify return code: 0 (ok)"), "\(bare.text)")
        #expect(bare.error == ErrorMessage(
            .notAuthorized,
            "runtime refused the connection: no client certificate (this server admits only peers with an admission certificate)"))

        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(subjectCommonName: "cml-device", subjectPublicKey: key.publicKey, notAfter: Date() + 3600)
        builder.uriSubjectAlternativeNames = [AdmissionCertificate.roleURI(.device)]
        try builder.selfSigned(with: key).pem.write(toFile: domain.path("forged.crt"), atomically: true, encoding: .utf8)
        try key.pkcs8PEM.write(toFile: domain.path("forged.key"), atomically: true, encoding: .utf8)
        let forged = try SClient.run(
            port: port, arguments: ["-CAfile", policy, "-cert", domain.path("forged.crt"), "-key", domain.path("forged.key")])
        #expect(forged.error == ErrorMessage(
            .notAuthorized,
            "runtime refused the connection: your certificate is not issued by this domain's policy key (self-signed \"cml-device\")"))

        // A name with a line end cannot forge a line in the runtime's log.
        let forger = try TestDomain.selfSigned(role: .device, commonName: "cml-device\n00:00:00 [runtime] forged line")
        let refused = #expect(throws: ChannelError.self) {
            try RuntimeClient(host: "127.0.0.1", port: port, context: try TLSContext(
                side: .client, trustedRoot: try Certificate(pem: String(contentsOfFile: policy, encoding: .utf8)), identity: forger)).getModel()
        }
        #expect(refused?.code == .notAuthorized)
        let escaped = try runtime.waitForLine { $0.contains("refused peer") && $0.contains("forged line") }
        #expect(escaped.contains(#"(self-signed "cml-device\n00:00:00 [runtime] forged line")"#), "\(escaped)")
        #expect(!runtime.standardError.contains { $0.hasPrefix("00:00:00") })
        #expect(runtime.isRunning)
    }

    @Test func aDeviceCannotUploadAndAnExpiredAdmissionIsRefused() throws {
        let (domain, runtime, port, initial) = try servingDomain()
        defer { runtime.stop() }
        let upload = #expect(throws: ChannelError.self) { try client(domain, role: .device, port: port).putModel(try ModelBlob(bytes: initial)) }
        #expect(upload?.code == .notAuthorized)
        #expect(upload?.message == "role \"device\" may not send \"put-model\" (only provider may)")

        // A device certificate the policy key issued, but that expired a minute ago.
        let credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        let policyKey = try ECPrivateKey(pem: String(contentsOfFile: "\(domain.domain.state)/policy.key", encoding: .utf8))
        var builder = CertificateBuilder(
            subjectCommonName: "device", subjectPublicKey: credentials.privateKey.publicKey, notBefore: Date() - 7200,
            notAfter: Date() - 60)
        builder.uriSubjectAlternativeNames = [AdmissionCertificate.roleURI(.device)]
        let expired = try builder.issued(by: credentials.policyCertificate, issuerKey: policyKey)
        let context = try TLSContext(
            side: .client, trustedRoot: credentials.policyCertificate, rootDescription: "this domain's policy key",
            identity: TLSIdentity(certificate: expired, privateKey: credentials.privateKey))
        let error = #expect(throws: ChannelError.self) {
            try RuntimeClient(host: "127.0.0.1", port: port, context: context).getModel()
        }
        #expect(error?.code == .notAuthorized)
        #expect(error?.message == "runtime refused the connection: your certificate expired on \(UTCTimeText.format(expired.notAfter))")
    }

    @Test func aMalformedFrameGetsAnErrorAndTheRuntimeGoesOn() throws {
        let (domain, runtime, port, initial) = try servingDomain()
        defer { runtime.stop() }
        let credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        let socket = try TCPConnector.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
        try socket.setTimeouts(receive: .seconds(20), send: .seconds(20))
        let tls = try TLSConnection(context: try credentials.clientContext(), fileDescriptor: socket.fileDescriptor)
        try tls.handshake()
        // A length that promises 2 GiB.
        try tls.write([0x7f, 0xff, 0xff, 0xff, 0])
        let error = try ErrorMessage(try FramedConnection(socket: socket, tls: tls).receive())
        #expect(error.code == .malformedFrame)
        #expect(error.message == "a frame of 2147483647 bytes is over the limit of 1048576 bytes")
        #expect(try client(domain, role: .device, port: port).getModel().blob.bytes == initial)
    }

    @Test func sigkillThenRestartBringsBackTheTrainedModel() throws {
        let (domain, runtime, port, _) = try servingDomain()
        defer { runtime.stop() }
        let trained = try client(domain, role: .device, port: port).train(words: ["about"])
        #expect(runtime.end(with: SIGKILL) == SIGKILL)

        let (restarted, newPort) = try domain.startRuntime()
        defer { restarted.stop() }
        let restored = try restarted.waitForLine { $0.contains("restored model ") }
        #expect(messages([restored]).first?.hasPrefix("restored model \(trained.blob.shortID) (round 1) from ") == true)
        #expect(try client(domain, role: .device, port: newPort).getModel().blob.id == trained.blob.id)
        // SIGTERM stops it cleanly.
        #expect(restarted.end(with: SIGTERM) == 0)
        #expect(messages(restarted.standardError).last == "stopped")
    }

    @Test func theValidationListIsSealedAndEveryModelIsMeasuredAlsoAfterARestart() throws {
        let (domain, runtime, port, initial) = try servingDomain(validation: ["quilt", "zebra", "about"])
        defer { runtime.stop() }
        let uploaded = try runtime.waitForLine { $0.contains("] validation accuracy ") }
        let pattern = #"^validation accuracy [01]\.\d\d \(\d of 6 prefixes\) for model "# + ModelBlob.shortID(of: initial) + "$"
        #expect(messages([uploaded]).first?.range(of: pattern, options: .regularExpression) != nil)

        let trained = try client(domain, role: .device, port: port).train(words: ["about"])
        _ = try runtime.waitForLine { $0.hasSuffix(" prefixes) for model \(trained.blob.shortID)") }
        #expect(runtime.end(with: SIGKILL) == SIGKILL)

        // The restarted runtime has the list from its sealed state and measures the next model on it.
        let (restarted, newPort) = try domain.startRuntime()
        defer { restarted.stop() }
        let restored = try restarted.waitForLine { $0.contains("restored model ") }
        #expect(restored.hasSuffix("/sealed, with the validation list (3 words)"))
        let again = try client(domain, role: .device, port: newPort).train(words: ["quilt"])
        _ = try restarted.waitForLine { $0.hasSuffix(" prefixes) for model \(again.blob.shortID)") }
        #expect(restarted.end(with: SIGTERM) == 0)
        // Only counts and shares: no word of the list in either runtime's log.
        let logs = runtime.standardError + restarted.standardError
        #expect(!logs.contains { $0.contains("quilt") || $0.contains("zebra") })
    }

    @Test func aSealedModelWithOneByteFlippedIsRefused() throws {
        let (domain, runtime, _, _) = try servingDomain()
        #expect(runtime.end(with: SIGTERM) == 0)
        let sealed = domain.state("runtime") + "/sealed/model-1.sealed"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sealed)))
        bytes[bytes.count - 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: sealed))
        let refused = try Executables.run(
            "cml-runtime", domain.serveArguments())
        #expect(refused.status == 1)
        #expect(refused.standardOutput.isEmpty)
        #expect(refused.standardError.contains(
            "Error: sealed state is stale: the certifier at \(domain.certifierAddress) anchored version 1 "), "\(refused.standardError)")
        #expect(refused.standardError.contains("(model-1.sealed) has another digest"))
    }

    @Test func aRuntimeThatCannotRenewSaysHowLongItHasThenThatItWillStopBeingTrusted() throws {
        let domain = try AdmittedDomain { $0.replacingOccurrences(of: "\"admission-lifetime-seconds\": 3600", with: "\"admission-lifetime-seconds\": 9") }
        let (runtime, _) = try domain.startRuntime()
        defer { runtime.stop() }
        // No certifier to renew at: every attempt from two thirds of the lifetime on fails.
        _ = domain.certifier.stop()
        let warning = try runtime.waitForLine { $0.contains("renewing the admission of runtime failed: ") }
        #expect(warning.contains("] warning: "), "\(warning)")
        #expect(warning.contains("; the admission expires in "), "\(warning)")
        let critical = try runtime.waitForLine { $0.contains("] critical: renewing the admission of runtime failed: ") }
        #expect(critical.contains("being trusted: every peer refuses an expired admission"), "\(critical)")
    }

    @Test func twoHundredDevicesConnectedAtOnce() throws {
        let (domain, runtime, port, initial) = try servingDomain()
        defer { runtime.stop() }
        let credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        let context = try credentials.clientContext()
        let devices = Devices((0..<200).map { _ in RuntimeClient(host: "127.0.0.1", port: port, context: context) })
        for device in devices.clients { try device.connect() }
        let models = try concurrently(devices.clients.count) { index in try devices.clients[index].getModel().blob.bytes }
        #expect(models.count == 200 && models.allSatisfy { $0 == initial })
        for device in devices.clients { device.close() }
    }
}

/// Log lines without the handler's `YYYY-MM-DDTHH:MM:SSZ [role] ` prefix.
func messages(_ lines: [String]) -> [String] {
    lines.map { line in
        guard let range = line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[[a-z-]+\] "#, options: .regularExpression) else { return line }
        return String(line[range.upperBound...])
    }
}

/// Clients that one thread each uses.
///
/// `@unchecked Sendable`: thread `index` is the only one that touches client `index`.
private final class Devices: @unchecked Sendable {
    let clients: [RuntimeClient]

    init(_ clients: [RuntimeClient]) {
        self.clients = clients
    }
}
