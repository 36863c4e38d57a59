import ByteKit
public import Channel
public import Logging
public import OpenSSLKit
public import Policy
import Synchronization

/// The runtime's server: one port for every role, mutual TLS with admission certificates, and the
/// requests of docs/protocol.md ("Runtime") for its mode.
///
/// A peer whose role the policy's channel list does not let connect to the runtime is refused before
/// any request is read. Each request is then checked against `RequestPermissions`. In ML mode model
/// changes go through the `TrainingQueue`, one at a time; in FL mode the `Federation` runs the rounds
/// under the policy's `fl` rules.
public final class RuntimeServer: Sendable {
    /// What the runtime serves and its limits.
    public struct Configuration: Sendable {
        /// ML or FL.
        public var mode: RuntimeMode
        /// Epochs per train request.
        public var epochs: Int
        /// The most words one train request may carry, unless the policy's `limits` set it.
        public var maxWordsPerRequest: Int
        /// The most train requests of one device unanswered, unless the policy's `limits` set it.
        public var maxQueuedPerDevice: Int
        /// Timeouts, frame size and thread stacks of the connections; the policy's `limits` replace its
        /// per-peer connection limits.
        public var channel: ChannelServer.Configuration

        /// ML mode, 100 epochs, the channel defaults (5 min read timeout, 1 MiB frames).
        public init(
            mode: RuntimeMode = .ml, epochs: Int = TrainingQueue.defaultEpochs,
            maxWordsPerRequest: Int = TrainingQueue.defaultMaxWords,
            maxQueuedPerDevice: Int = TrainingQueue.defaultMaxQueuedPerDevice, channel: ChannelServer.Configuration = .init()
        ) {
            self.mode = mode
            self.epochs = epochs
            self.maxWordsPerRequest = maxWordsPerRequest
            self.maxQueuedPerDevice = maxQueuedPerDevice
            self.channel = channel
        }
    }

    /// The model the runtime holds now.
    public let store: ModelStore
    /// The mode it serves.
    public let mode: RuntimeMode
    /// The federated rounds kept in the state folder, in FL mode with the folder store.
    public let federation: Federation?
    /// The federated rounds in FL mode, whichever store keeps them (`federation`, or a `SharedFederation`).
    public let rounds: (any RoundService)?
    /// The models made since start (ML trainings or FL rounds), for status and metrics.
    public let history: ModelHistory
    /// The runtime's admission as `noteAdmission` last heard of it, for status and metrics.
    public var admission: AdmissionNote? { admitted.withLock { $0 } }
    /// The policy in force for new connections.
    public var policyInForce: PolicyDocument { policy.withLock { $0 } }
    /// The admitted peers connected now, the longest connected first.
    public var connectedPeers: [ConnectedPeer] { server.connectedPeers }
    /// The roles the policy in force lets connect.
    public var allowedRoles: Set<Role> { policy.withLock { $0.rolesAllowedToConnect(to: .runtime) } }
    /// The policy whose channels apply to new connections; its `fl` rules are the ones of the start.
    private let policy: Mutex<PolicyDocument>
    private let admitted = Mutex<AdmissionNote?>(nil)
    private let logger: Logger
    private let revoked: RevokedPeers
    /// Internal for tests, which hold its worker to queue requests behind.
    let queue: TrainingQueue
    private let server: ChannelServer

    /// Listens on `host:port` (0: the OS picks) with `context` (a mutual-TLS server context presenting the
    /// runtime's admission certificate), admitting the roles that `policy` lets connect to the runtime.
    /// In FL mode `shared` keeps the rounds in a database replicas share; nil: `store`'s sealed state does.
    public init(
        host: String, port: UInt16, context: TLSContext, policy: PolicyDocument, store: ModelStore,
        configuration: Configuration = Configuration(), shared: (any RoundService)? = nil, logger: Logger
    ) throws(RuntimeError) {
        guard context.side == .server, context.requestsPeerCertificate else {
            throw RuntimeError(.misconfigured, "the runtime needs a server TLS context that asks clients for their certificates")
        }
        let allowed = policy.rolesAllowedToConnect(to: .runtime)
        guard !allowed.isEmpty else {
            throw RuntimeError(.policyUnusable, "the policy lets no role connect to the runtime (its \"channels\" name no \"to\": \"runtime\")")
        }
        var channel = configuration.channel.limited(by: policy.limits)
        channel.name = Role.runtime.rawValue
        channel.allowedPeerRoles = allowed
        let mode = configuration.mode
        // The host picks --mode, the signed policy does not: a federation's state served in ML mode would
        // see its rounds as garbage and drop what ML mode then acknowledged. An FL policy is served in FL mode.
        if mode == .ml, policy.federated != nil {
            throw RuntimeError(
                .misconfigured, "the policy sets \"fl\" settings, so this runtime serves FL mode only (--mode fl): a federation's state is not served in ML mode")
        }
        let history = ModelHistory()
        var federation: Federation?
        if mode == .fl, shared == nil {
            guard let state = store.state else {
                throw RuntimeError(.misconfigured, "FL mode needs sealed state: acknowledged updates must survive a restart")
            }
            federation = try Federation(state: state, rules: FederationRules(policy: policy), logger: logger, history: history)
        }
        let queue = TrainingQueue(
            store: store, epochs: configuration.epochs,
            maxWords: policy.limits?.wordsPerTraining ?? configuration.maxWordsPerRequest,
            maxQueuedPerDevice: policy.limits?.queuedTrainingsPerDevice ?? configuration.maxQueuedPerDevice, history: history, logger: logger)
        let rounds: (any RoundService)? = mode == .fl ? shared ?? federation : nil
        let requests = Requests(mode: mode, store: store, queue: queue, federation: rounds, logger: logger)
        let revoked = RevokedPeers()
        do {
            server = try ChannelServer(
                host: host, port: port, context: context, configuration: channel, logger: logger,
                handler: { peer, request, connection in
                    try revoked.check(peer)
                    try requests.serve(request, from: peer, on: connection)
                })
        } catch {
            queue.stop()
            rounds?.stop()
            throw RuntimeError(.serverFailed, error.message, cause: error)
        }
        self.store = store
        self.mode = mode
        self.federation = federation
        self.rounds = rounds
        self.history = rounds?.history ?? history
        self.policy = Mutex(policy)
        self.revoked = revoked
        self.logger = logger
        self.queue = queue
    }

    /// Switches to a renewed admission: new handshakes present `context`, and `policy` (the one the
    /// certifier served with it) decides which roles new connections may have; open connections keep
    /// theirs. The FL rules in force stay until a restart (a round's rules must not change mid-round), so a
    /// changed `fl` section is only logged, as an error. A policy that lets no role connect is refused.
    public func renew(context: TLSContext, policy next: PolicyDocument) throws(RuntimeError) {
        let allowed = next.rolesAllowedToConnect(to: .runtime)
        guard !allowed.isEmpty else {
            throw RuntimeError(.policyUnusable, "the renewed policy lets no role connect to the runtime; keeping the previous policy's channels")
        }
        do {
            try server.replace(context: context, allowedPeerRoles: allowed)
        } catch {
            throw RuntimeError(.serverFailed, error.message, cause: error)
        }
        let previous = policy.withLock { current in
            defer { current = next }
            return current
        }
        if previous.federated != next.federated, mode == .fl {
            logger.error(
                "the renewed policy changes the \"fl\" section: the FL rules of the start stay in force until the runtime restarts")
        }
        if previous.rolesAllowedToConnect(to: .runtime) != allowed {
            logger.notice(
                "the renewed policy lets \(allowed.sorted().map(\.rawValue).joined(separator: ", ")) connect from now on")
        }
    }

    /// Records the admission certificate the runtime serves with now (at start, and after each renewal):
    /// its serial, expiry and the policy hash it records, for the status and the
    /// `cml_runtime_admission_expiry_seconds` gauge; every one after the first counts as a renewal.
    public func noteAdmission(_ certificate: Certificate) {
        let policyHash = (try? AdmissionCertificate(trusted: certificate))?.policyHash ?? []
        let note = AdmissionNote(
            serial: String(certificate.serialNumberHex.prefix(8)), expiry: certificate.notAfter, policyHash: policyHash)
        let previous = admitted.withLock { current in
            defer { current = note }
            return current
        }
        RuntimeMetrics.admission(expiry: note.expiry, renewed: previous != nil)
    }

    /// Enforces `list` from now on: requests of peers it revokes are refused, and their open connections closed.
    public func revoke(_ list: RevocationList) {
        revoked.update(list)
        let logger = logger
        server.closeConnections(where: { list.isRevoked(serial: $0.serialNumber) }) { closed in
            if closed > 0 { logger.notice("closed \(quantity(closed, "connection")) of revoked peers (revocation list version \(list.version))") }
        }
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
            throw RuntimeError(.serverFailed, error.message, cause: error)
        }
    }

    /// Wakes devices waiting for a global model, stops accepting, closes every connection, then lets
    /// queued training finish and ends the queue.
    public func stop() {
        rounds?.stop()
        server.stop()
        queue.stop()
    }

    /// The first eight hex digits of the peer's certificate serial: which device, for the log.
    static func shortSerial(_ peer: PeerIdentity) -> String {
        Hex.encode(peer.serialNumber.prefix(4))
    }
}
