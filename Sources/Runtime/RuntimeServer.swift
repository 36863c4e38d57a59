public import Channel
public import Logging
public import OpenSSLKit
public import Policy

/// The runtime's server: one port for every role, mutual TLS with admission certificates, and the
/// requests of docs/protocol.md ("Runtime") for its mode.
///
/// A peer whose role the policy's channel list does not let connect to the runtime is refused before
/// any request is read. Each request is then checked against `RequestPermissions`; model changes go
/// through the `TrainingQueue`, one at a time.
public final class RuntimeServer: Sendable {
    /// What the runtime serves and its limits.
    public struct Configuration: Sendable {
        /// ML (the only mode so far).
        public var mode: RuntimeMode
        /// Epochs per train request.
        public var epochs: Int
        /// The most words one train request may carry.
        public var maxWordsPerRequest: Int
        /// Timeouts, frame size and thread stacks of the connections.
        public var channel: ChannelServer.Configuration

        /// ML mode, 100 epochs, the channel defaults (5 min read timeout, 1 MiB frames).
        public init(
            mode: RuntimeMode = .ml, epochs: Int = TrainingQueue.defaultEpochs,
            maxWordsPerRequest: Int = TrainingQueue.defaultMaxWords, channel: ChannelServer.Configuration = .init()
        ) {
            self.mode = mode
            self.epochs = epochs
            self.maxWordsPerRequest = maxWordsPerRequest
            self.channel = channel
        }
    }

    /// The role a runtime's certificate names, and that its clients expect.
    public static let role = "runtime"

    /// The model the runtime holds now.
    public let store: ModelStore
    /// The mode it serves.
    public let mode: RuntimeMode
    /// The roles the policy lets connect.
    public let allowedRoles: Set<String>
    private let queue: TrainingQueue
    private let server: ChannelServer

    /// Listens on `host:port` (0: the OS picks) with `context` (a mutual-TLS server context presenting the
    /// runtime's admission certificate), admitting the roles that `policy` lets connect to the runtime.
    public init(
        host: String, port: UInt16, context: TLSContext, policy: PolicyDocument, store: ModelStore,
        configuration: Configuration = Configuration(), logger: Logger
    ) throws(RuntimeError) {
        guard context.side == .server, context.requestsPeerCertificate else {
            throw RuntimeError("the runtime needs a server TLS context that asks clients for their certificates")
        }
        let allowed = policy.rolesAllowedToConnect(to: Self.role)
        guard !allowed.isEmpty else {
            throw RuntimeError("the policy lets no role connect to the runtime (its \"channels\" name no \"to\": \"runtime\")")
        }
        var channel = configuration.channel
        channel.name = Self.role
        channel.allowedPeerRoles = allowed
        let queue = TrainingQueue(
            store: store, epochs: configuration.epochs, maxWords: configuration.maxWordsPerRequest, logger: logger)
        let mode = configuration.mode
        do {
            server = try ChannelServer(
                host: host, port: port, context: context, configuration: channel, logger: logger,
                handler: ChannelServer.answering { peer, request in
                    try Self.answer(request, from: peer, mode: mode, store: store, queue: queue, logger: logger)
                })
        } catch {
            queue.stop()
            throw RuntimeError(error.message)
        }
        self.store = store
        self.mode = mode
        self.allowedRoles = allowed
        self.queue = queue
    }

    /// The port it listens on.
    public var port: UInt16 { server.port }
    /// The address it listens on, e.g. "127.0.0.1:8124".
    public var address: String { server.address }
    /// How many connections are open now.
    public var activeConnections: Int { server.activeConnections }

    /// Serves on the calling thread until `stop()`.
    public func run() {
        server.run()
    }

    /// Serves on a new thread and returns at once.
    public func start() throws(RuntimeError) {
        do {
            try server.start()
        } catch {
            throw RuntimeError(error.message)
        }
    }

    /// Stops accepting, closes every connection, then lets queued training finish and ends the queue.
    public func stop() {
        server.stop()
        queue.stop()
    }

    private static func answer(
        _ request: Message, from peer: PeerIdentity?, mode: RuntimeMode, store: ModelStore, queue: TrainingQueue,
        logger: Logger
    ) throws(ChannelError) -> Message {
        guard let peer else { throw ChannelError(.notAuthorized, "the runtime serves only peers with an admission certificate") }
        try RequestPermissions.check(role: peer.role, type: request.type, mode: mode)
        switch request.type {
        case PutModelRequest.type:
            let upload = try request.decode(as: PutModelRequest.self)
            let stored = try queue.upload(upload.model)
            logger.info(
                "received model \(stored.shortID) (\(stored.blob.count) bytes, round \(stored.model.round)) from \(peer.role) \(shortSerial(peer)); it is the current model")
            return ModelAck(id: stored.id, size: UInt64(stored.blob.count)).frame
        case GetModelRequest.type:
            guard let current = store.current else {
                throw ChannelError(.noModel, "the runtime has no model yet: the model provider must send one first")
            }
            logger.debug("handing out model \(current.shortID) to \(peer.role) \(shortSerial(peer))")
            return current.reply.frame
        case TrainRequest.type:
            let train = try request.decode(as: TrainRequest.self)
            return try queue.train(words: train.words, device: shortSerial(peer)).frame
        default:
            // RequestPermissions admits only the types above.
            throw ChannelError(.unknownType, "the runtime does not serve \"\(request.type)\"")
        }
    }

    /// The first eight hex digits of the peer's certificate serial: which device, for the log.
    static func shortSerial(_ peer: PeerIdentity) -> String {
        String(peer.serialNumber.prefix(8))
    }
}
