import Admission
import Attestation
import ByteKit
import Certifier
import Channel
import Foundation
import Logging
import OpenSSLKit
import Policy
import Protocol
import Synchronization

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date())
    func callAsFunction() -> Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
}

/// A temporary folder, removed by nobody: the system cleans its temporary directory.
func temporaryFolder(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
}

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A certifier in this process: a fresh state, a policy admitting fixed measurements for runtime and
/// device, and the service on an OS-picked loopback port.
struct TestCertifier {
    static let runtimeMeasurement = [UInt8](repeating: 0x5e, count: 32)
    static let deviceMeasurement = [UInt8](repeating: 0xc4, count: 32)

    let folder: String
    let state: CertifierState
    /// The domain's policy key, read from the folder where `init` left it (a real domain keeps it offline).
    let policyKey: ECPrivateKey
    let platformKey: ECPrivateKey
    let clock = TestClock()
    /// The policy it serves from the start.
    let policy: PolicyDocument
    let service: CertifierService
    let server: ChannelServer

    init(
        channel: ChannelServer.Configuration = CertifierService.channelConfiguration, store: (any CertifierStore)? = nil,
        edit: (inout PolicyDocument) -> Void = { _ in }
    ) throws {
        folder = temporaryFolder("certifier")
        state = try CertifierState.initialize(directory: "\(folder)/state")
        policyKey = try state.policyKeyInFolder()
        platformKey = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        var policy = PolicyDocument(
            name: "test", roles: [
                "runtime": RolePolicy(initialMeasurements: [HexBytes(Self.runtimeMeasurement)], secrets: ["sealing", "extra"]),
                "device": RolePolicy(initialMeasurements: [HexBytes(Self.deviceMeasurement)]),
            ],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [ChannelRule(from: "device", to: "runtime")])
        edit(&policy)
        self.policy = policy
        let signed = try SignedPolicy.sign(policy, key: policyKey)
        let clock = self.clock
        service = try CertifierService(state: state, policyBytes: signed.bytes, logger: quietLogger, clock: { clock() }, store: store)
        server = try service.makeServer(host: "127.0.0.1", port: 0, configuration: channel)
        try server.start()
    }

    func stop() { server.stop() }

    /// An attester for `measurement` on this certifier's platform (or `platform`).
    func attester(_ measurement: [UInt8], platform: ECPrivateKey? = nil) throws -> SimulatedAttester {
        try SimulatedAttester(platformKey: platform ?? platformKey, measurement: measurement)
    }

    /// Attests as `role` with an attester for `measurement`, storing into a new state folder.
    func attest(_ role: Role, _ measurement: [UInt8], into directory: String? = nil) throws -> (AdmissionSummary, String) {
        let directory = directory ?? temporaryFolder(role.rawValue)
        let summary = try AdmissionClient().attest(
            role: role, certifierHost: "127.0.0.1", certifierPort: server.port, policyCertificate: state.policyCertificate,
            attester: attester(measurement), stateDirectory: directory)
        return (summary, directory)
    }

    /// A raw connection to the certifier, for exchanges that the admission client would never make.
    func connect() throws -> ChannelClient {
        let context = try TLSContext(side: .client, trustedRoot: state.policyCertificate)
        return try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.certifier])
    }

    /// The audit log's entries.
    func audit() throws -> [AuditEntry] {
        try AuditLog.read(path: state.auditLogPath)
    }
}

/// A TLS key and evidence for it, bound to `nonce`, from `attester`.
func evidence(role: String, nonce: [UInt8], attester: any Attester, key: ECPrivateKey = ECPrivateKey(generating: .p256)) throws -> EvidenceMessage {
    let spki = key.publicKey.spkiDER
    return EvidenceMessage(role: role, token: try attester.token(challenge: RealmChallenge.binding(nonce: nonce, spkiDER: spki)), publicKey: spki)
}
