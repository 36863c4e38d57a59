import Channel
import Foundation
import Logging
import OpenSSLKit
import Policy
import Protocol
import Runtime
import TestSupport
import WordModel

/// A runtime served in-process on an OS-picked loopback port, in a domain made for the test, with
/// clients for any role. `stop()` stops it; `folder` (the runtime's state) is removed by `cleanUp()`.
///
/// `@unchecked Sendable`: client threads only read it; `restart()` runs while no other thread reads
/// `server` (clients made before it keep their host and port).
final class RuntimeFixture: @unchecked Sendable {
    let domain: TestDomain
    let policy: PolicyDocument
    let folder: URL
    let secret: [UInt8]
    let logs = LogRecords()
    let configuration: RuntimeServer.Configuration
    /// The freshness anchor, kept across restarts as the certifier keeps it.
    let anchor: MemoryAnchor
    private(set) var server: RuntimeServer

    /// Starts a runtime with sealed state in a fresh folder (or `folder`, to restart on old state).
    init(
        domain: TestDomain? = nil, policy: PolicyDocument = TestDomain.mlPolicy(), folder: URL? = nil,
        secret: [UInt8] = Array(repeating: 7, count: 32), configuration: RuntimeServer.Configuration = .init(),
        anchor: MemoryAnchor = MemoryAnchor()
    ) throws {
        self.anchor = anchor
        self.domain = try domain ?? TestDomain()
        self.policy = policy
        self.folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("cml-runtime-\(UUID().uuidString)")
        self.secret = secret
        self.configuration = configuration
        server = try Self.start(
            domain: self.domain, policy: policy, folder: self.folder, secret: secret, configuration: configuration, logs: logs,
            anchor: anchor)
    }

    static func start(
        domain: TestDomain, policy: PolicyDocument, folder: URL, secret: [UInt8], configuration: RuntimeServer.Configuration,
        logs: LogRecords, anchor: MemoryAnchor, port: UInt16 = 0
    ) throws -> RuntimeServer {
        let sealed = try SealedStore(directory: folder.appendingPathComponent("sealed").path, sealingSecret: secret)
        let state = try AnchoredState(
            sealed: sealed, federation: policy.federationID, anchor: anchor, logger: logs.logger(label: "runtime", level: .info))
        let store = try ModelStore(state: state)
        let server = try RuntimeServer(
            host: "127.0.0.1", port: port, context: try domain.serverContext(role: .runtime), policy: policy, store: store,
            configuration: configuration, logger: logs.logger(label: "runtime", level: .info))
        try server.start()
        return server
    }

    /// Stops the runtime and starts a new one on the same state (and, with `samePort`, the same port),
    /// as a restart would.
    func restart(samePort: Bool = false) throws {
        let port = server.port
        server.stop()
        server = try Self.start(
            domain: domain, policy: policy, folder: folder, secret: secret, configuration: configuration, logs: logs,
            anchor: anchor, port: samePort ? port : 0)
    }

    func stop() {
        server.stop()
    }

    func cleanUp() {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The sealed model file (the newest `model-<version>.sealed`).
    var sealedModelPath: String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sealedFolder)) ?? []
        let newest = names.compactMap { StateFileName(purpose: String($0.dropLast(".sealed".count))) }.filter { $0.kind == .model }.max { $0.seq < $1.seq }
        return "\(sealedFolder)/\(newest?.description ?? "model-none.sealed")"
    }

    /// The names of the sealed files, each without its version: ["global-1"], ["model"].
    var sealedKinds: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sealedFolder)) ?? []
        return names.map { name in String(name.dropLast(".sealed".count).split(separator: "-").dropLast().joined(separator: "-")) }.sorted()
    }

    /// The folder of sealed files.
    var sealedFolder: String { folder.appendingPathComponent("sealed").path }

    /// A client of the runtime presenting a fresh admission certificate for `role`.
    func client(role: Role, configuration: ChannelClient.Configuration = .init()) throws -> RuntimeClient {
        RuntimeClient(host: "127.0.0.1", port: server.port, context: try domain.clientContext(role: role), configuration: configuration)
    }

    /// Sends `request` as it is, over a connection of its own presenting `context`, and returns the answer:
    /// for requests that `RuntimeClient` does not make, such as one carrying a blob that does not decode.
    func send(_ request: some TypedMessage, context: TLSContext) throws -> Message {
        let client = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
        defer { client.close() }
        return try client.request(request.frame)
    }

    /// A client presenting `identity` (nil: no certificate).
    func client(identity: TLSIdentity?) throws -> RuntimeClient {
        RuntimeClient(host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: identity))
    }
}

/// The demo's initial model: fresh weights from seed 42, 5 epochs on data/words-short.txt, as the
/// original provider trained it.
let initialModel: ModelBlob = {
    let trainer = try! Trainer(weights: ModelWeights(seed: 42))
    let words = ["which", "there", "their", "about", "white"]
    try! trainer.train(try! TrainingSet(words: words), epochs: 5)
    return ModelBlob(model: Model(weights: trainer.weights, samples: 10))
}()
