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
    private(set) var server: RuntimeServer

    /// Starts a runtime with sealed state in a fresh folder (or `folder`, to restart on old state).
    init(
        domain: TestDomain? = nil, policy: PolicyDocument = TestDomain.mlPolicy(), folder: URL? = nil,
        secret: [UInt8] = Array(repeating: 7, count: 32), configuration: RuntimeServer.Configuration = .init()
    ) throws {
        self.domain = try domain ?? TestDomain()
        self.policy = policy
        self.folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("cml-runtime-\(UUID().uuidString)")
        self.secret = secret
        self.configuration = configuration
        server = try Self.start(
            domain: self.domain, policy: policy, folder: self.folder, secret: secret, configuration: configuration, logs: logs)
    }

    static func start(
        domain: TestDomain, policy: PolicyDocument, folder: URL, secret: [UInt8], configuration: RuntimeServer.Configuration,
        logs: LogRecords, port: UInt16 = 0
    ) throws -> RuntimeServer {
        let store = try ModelStore(sealed: try SealedStore(directory: folder.appendingPathComponent("sealed").path, sealingSecret: secret))
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
            port: samePort ? port : 0)
    }

    func stop() {
        server.stop()
    }

    func cleanUp() {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The sealed model file.
    var sealedModelPath: String { folder.appendingPathComponent("sealed/model.sealed").path }

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
