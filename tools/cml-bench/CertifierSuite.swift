import Admission
import Attestation
import ByteKit
import Certifier
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Synchronization

/// Admissions per second on loopback: the certifier service with a fresh state and policy, and 1, 8 and
/// 64 clients attesting over and over. Each admission is the whole exchange: a new P-256 TLS key, TCP
/// and TLS 1.3 handshake, nonce, a simulated token (two ES384 signatures), its verification (two
/// ES384 verifications), appraisal, the certificate issued (one ES384 signature) and its audit line.
/// Clients and server share this machine's cores, so the server alone would manage more. Then renewals
/// per second under load: one role renewing as `AdmissionRenewal` does (a new key, the admission stored
/// in a state folder and loaded back with every check, the signed revocation list fetched) while 64
/// clients attest.
struct CertifierSuite: BenchSuite {
    let name = "certifier"
    static let clientCounts = [1, 8, 64]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-certifier-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = try CertifierState.initialize(directory: folder)
        let platformKey = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        let measurement = SecureRandom.bytes(32)
        let policy = PolicyDocument(
            name: "bench", roles: ["device": RolePolicy(initialMeasurements: [HexBytes(measurement)])],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [])
        let service = try CertifierService(
            state: state, policyBytes: SignedPolicy.sign(policy, key: state.policyKeyInFolder()).bytes,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let server = try service.makeServer(host: "127.0.0.1", port: 0)
        try server.start()
        defer { server.stop() }
        let attester = try SimulatedAttester(platformKey: platformKey, measurement: measurement)
        let client = AdmissionClient(configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(60)))
        let port = server.port
        let root = state.policyCertificate
        @Sendable func admit() throws {
            _ = try client.requestAdmission(
                role: .device, certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: root, attester: attester,
                key: AdmissionClient.makeTLSKey())
        }
        StandardError.line("certifier: \(OpenSSLVersion.text), service on \(server.address), audit log in \(folder)")

        for clients in Self.clientCounts {
            let seconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
                try runConcurrently(clients, label: "certifier") { _ in
                    for _ in 0..<repeats { try admit() }
                }
            }
            let rate = Double(clients) / seconds
            StandardError.line("certifier: \(clients) clients: \(Int(rate)) admissions/s")
            reporter.figure("admissions_per_s", value: rate, unit: "admissions/s", parameters: ["clients": clients])
        }
        let renewing = "\(folder)/renewing"
        let loadClients = Self.clientCounts.last ?? 64
        @Sendable func renew() throws {
            _ = try client.attest(
                role: .device, certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: root, attester: attester,
                stateDirectory: renewing)
            let credentials = try RoleCredentials.load(stateDirectory: renewing, role: .device)
            let watch = RevocationWatch(
                certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: root, context: try credentials.clientContext(),
                interval: 60, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })) { _ in }
            try watch.refresh()
        }
        try renew()
        let renewSeconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
            let done = LoadDone()
            try runConcurrently(loadClients + 1, label: "certifier renewals") { index in
                guard index > 0 else {
                    defer { done.finish() }
                    for _ in 0..<repeats { try renew() }
                    return
                }
                while !done.isFinished { try admit() }
            }
        }
        let renewRate = 1 / renewSeconds
        StandardError.line("certifier: \(String(format: "%.1f", renewRate)) renewals/s while \(loadClients) clients attest")
        reporter.figure("renewals_per_s", value: renewRate, unit: "renewals/s", parameters: ["clients": loadClients])
        let entries = try AuditLog.read(path: state.auditLogPath)
        let refused = entries.filter { $0.decision == .refused }.count
        StandardError.line("certifier: \(entries.count - refused) admissions and \(refused) refusals in the audit log")
    }
}

/// Whether the renewing thread is done, so the load stops.
private final class LoadDone: Sendable {
    private let finished = Mutex(false)
    var isFinished: Bool { finished.withLock { $0 } }
    func finish() { finished.withLock { $0 = true } }
}
