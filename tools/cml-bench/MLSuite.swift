import Admin
import Attestation
import Certifier
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Protocol
import Runtime
import WordModel

/// The runtime in ML mode on loopback, measured at the devices (TLS 1.3 with admission certificates
/// included, the model sealed to a temporary folder after every change and anchored at a certifier
/// before the answer, as the real runtime does). Devices, runtime and certifier share this process and
/// its two cores.
///
/// - `train_ms`: one `train` request (100 epochs on one word) on an open connection, answered with the
///   trained model.
/// - `download_us`: one `get-model` on an open connection.
/// - `get_model_per_s`, `train_per_s`: requests answered per second with 1, 10 and 100 devices connected
///   at once, each sending its next request as soon as the last is answered.
struct MLSuite: BenchSuite {
    let name = "ml"
    static let deviceCounts = [1, 10, 100]
    static let epochs = 100

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        // Before the runtime is made, so that it reports to the registry from its start.
        if settings.admin { AdminMetrics.bootstrap() }
        let bench = try LoopbackRuntime()
        defer { bench.stop() }
        var endpoint: AdminEndpoint?
        var poller: AdminPoller?
        if settings.admin {
            let server = bench.server
            let started = try AdminEndpoint(
                host: "127.0.0.1", port: 0, status: { RuntimeStatus(server: server, version: ToolVersion.text) },
                logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            endpoint = started
            poller = AdminPoller(port: UInt16(started.port))
            StandardError.line("ml: admin endpoint on http://\(started.address), polled every second")
        }
        defer {
            poller?.stop()
            endpoint?.stop()
        }
        StandardError.line("ml: runtime on \(bench.server.address), \(Self.epochs) epochs per train, sealed in \(bench.folder.path)")

        let device = try bench.device()
        let trainSeconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = try device.train(words: ["about"]) }
        }
        StandardError.line("ml: train (\(Self.epochs) epochs, 1 word): \(String(format: "%.2f", trainSeconds * 1e3)) ms")
        reporter.figure("train_ms", value: trainSeconds * 1e3, unit: "ms", parameters: ["epochs": Self.epochs, "words": 1])

        let downloadSeconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = try device.getModel() }
        }
        StandardError.line("ml: model download: \(String(format: "%.1f", downloadSeconds * 1e6)) us")
        reporter.figure("download_us", value: downloadSeconds * 1e6, unit: "us")
        device.close()

        for (figure, request) in [("get_model_per_s", Request.getModel), ("train_per_s", .train)] {
            for devices in Self.deviceCounts {
                let clients = try DeviceClients(bench, count: devices)
                let seconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
                    try runConcurrently(devices, label: "ml") { index in
                        for _ in 0..<repeats { try clients.send(request, from: index) }
                    }
                }
                clients.close()
                let rate = Double(devices) / seconds
                StandardError.line("ml: \(request) with \(devices) devices connected: \(Int(rate)) requests/s")
                reporter.figure(figure, value: rate, unit: "requests/s", parameters: ["devices": devices])
            }
        }
    }

    enum Request: String, CustomStringConvertible {
        case getModel = "get-model"
        case train

        var description: String { rawValue }
    }
}

/// A runtime on an OS-picked loopback port holding the initial model, with device clients for it.
private struct LoopbackRuntime {
    let domain: BenchDomain
    let server: RuntimeServer
    let certifier: ChannelServer
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-ml-\(UUID().uuidString)")
        let silent = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        // The certifier that anchors the sealed state, in this process, on its own domain's keys.
        let certifierState = try CertifierState.initialize(directory: folder.appendingPathComponent("certifier").path)
        let platformKey = try SimulatedPlatformFiles.privateKey(in: certifierState.platformDirectory)
        let policy = PolicyDocument(
            name: "bench-ml",
            roles: [
                "runtime": RolePolicy(initialMeasurements: [HexBytes(SecureRandom.bytes(32))], secrets: ["sealing"]),
                "provider": RolePolicy(initialMeasurements: [HexBytes(SecureRandom.bytes(32))]),
                "device": RolePolicy(initialMeasurements: [HexBytes(SecureRandom.bytes(32))]),
            ],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [ChannelRule(from: "provider", to: "runtime"), ChannelRule(from: "device", to: "runtime")])
        let service = try CertifierService(
            state: certifierState, policyBytes: SignedPolicy.sign(policy, key: certifierState.policyKeyInFolder()).bytes, logger: silent)
        certifier = try service.makeServer(host: "127.0.0.1", port: 0, channelLogger: silent)
        try certifier.start()
        domain = BenchDomain(
            root: certifierState.policyCertificate, issuingKey: certifierState.issuingKey, issuing: certifierState.issuingCertificate)
        let anchor = CertifierAnchor(host: "127.0.0.1", port: certifier.port, context: try domain.clientContext(.runtime))
        let store = try ModelStore(
            state: try AnchoredState(
                sealed: try SealedStore(directory: folder.appendingPathComponent("sealed").path, sealingSecret: Array(repeating: 1, count: 32)),
                federation: policy.federationID, anchor: anchor, logger: silent))
        server = try RuntimeServer(
            host: "127.0.0.1", port: 0, context: try domain.serverContext(.runtime), policy: policy, store: store,
            configuration: .init(epochs: MLSuite.epochs, channel: .init(threadStackSize: 256 << 10)),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try server.start()
        let trainer = try Trainer(weights: ModelWeights(seed: 42))
        try trainer.train(try TrainingSet(words: ["which", "there", "their", "about", "white"]), epochs: 5)
        let provider = RuntimeClient(host: "127.0.0.1", port: server.port, context: try domain.clientContext(.provider))
        _ = try provider.putModel(ModelBlob(model: Model(weights: trainer.weights, samples: 10)))
        provider.close()
    }

    func device() throws -> RuntimeClient {
        RuntimeClient(
            host: "127.0.0.1", port: server.port, context: try domain.clientContext(.device),
            configuration: .init(connectTimeout: .seconds(60)))
    }

    func stop() {
        server.stop()
        certifier.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Devices connected before the measurement starts, one per client thread.
///
/// `@unchecked Sendable`: thread `index` is the only one that uses client `index`.
private final class DeviceClients: @unchecked Sendable {
    private let clients: [RuntimeClient]

    init(_ bench: LoopbackRuntime, count: Int) throws {
        clients = try (0..<count).map { _ in try bench.device() }
        for client in clients { try client.connect() }
    }

    func send(_ request: MLSuite.Request, from index: Int) throws {
        switch request {
        case .getModel: _ = try clients[index].getModel()
        case .train: _ = try clients[index].train(words: ["about"])
        }
    }

    func close() {
        for client in clients { client.close() }
    }
}
