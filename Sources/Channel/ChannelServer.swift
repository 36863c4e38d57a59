import Foundation
public import Logging
public import OpenSSLKit
public import Policy

#if canImport(Glibc)
import Glibc
#endif

/// A TLS 1.3 server of framed messages: one event-loop thread for every connection, handlers on a
/// bounded pool of worker threads, peers checked before any request (docs/server.md).
///
/// For each connection it runs the handshake as the bytes arrive, then, with mutual TLS, refuses a peer
/// whose certificate is missing, untrusted, names no role, or names a role outside `allowedPeerRoles`:
/// the peer gets an `error` frame saying why, and no request of its is read. Otherwise it reads
/// requests one at a time until the peer closes and passes each to the handler on a worker thread; a
/// request that arrives after the peer's certificate expired is refused instead. A handler error
/// becomes an `error` frame (its code if it is a `ChannelError`, `internal` otherwise), and so does a
/// malformed or oversized frame; then that connection closes and the server goes on serving others.
///
/// A connection that does nothing costs its TLS state and no thread, and each stage has a deadline: the
/// handshake, the first request of a peer without a certificate, each whole frame (however the peer
/// spaces its bytes), the whole exchange of a peer without a certificate, and the idle time between
/// requests. Floods meet limits: connections in all (the oldest unfinished handshake, then the
/// connection idle longest, gives way to a new one), in their handshake (the oldest gives way), per
/// source address before admission, per admitted certificate and per platform, and one budget for the
/// bytes of partial frames across all connections (the connections holding the most close first).
/// Refusals are logged once per peer per interval, with a count.
public final class ChannelServer: Sendable {
    /// Limits and policy for every connection.
    public struct Configuration: Sendable {
        /// How the server names itself in refusals, e.g. "runtime".
        public var name: String
        /// With mutual TLS, the roles that may connect; nil admits any role the root certified.
        public var allowedPeerRoles: Set<Role>?
        /// With mutual TLS, whether a peer must present a certificate; false serves a peer without one
        /// (the handler gets a nil peer), while a peer presenting a bad one is still refused.
        public var requiresPeerCertificate = true
        /// The most the TLS handshake may take.
        public var handshakeTimeout: Duration
        /// The most an admitted peer may wait between requests, and the most one whole frame may take.
        public var readTimeout: Duration
        /// The most a peer without a certificate may take to send its first request after the handshake.
        public var firstRequestTimeout: Duration
        /// The most a connection without a client certificate may last in all (nil: no limit); the
        /// certifier's clients are unauthenticated by design, so their whole exchange is bounded.
        public var unauthenticatedLifetime: Duration?
        /// The most queued output may take to leave.
        public var writeTimeout: Duration
        /// How long a closing connection waits for the peer to close after this side has.
        public var lingerTimeout: Duration
        /// The largest frame accepted or sent; a larger one is refused from its header.
        public var maxFrameSize: Int
        /// Stack size of each worker thread.
        public var threadStackSize: Int
        /// Worker threads that run handlers; more requests wait in a queue.
        public var workerThreads: Int
        /// The most connections served at once.
        public var maxConnections: Int
        /// The most connections in their TLS handshake at once; a new one makes the oldest give way.
        public var maxHandshakes: Int
        /// The most connections from one source address that are not (yet) admitted with a certificate.
        public var maxConnectionsPerAddress: Int
        /// The most connections per admitted certificate (by serial).
        public var maxConnectionsPerCertificate: Int
        /// The most connections per platform, for peers that `platformKey` places on one.
        public var maxConnectionsPerPlatform: Int
        /// The platform a peer runs on, for the per-platform limit: by default the platform instance its
        /// admission certificate names (nil for a certificate without one: only the per-certificate limit
        /// applies then).
        public var platformKey: @Sendable (PeerIdentity) -> String?
        /// How long an idle connection must have been idle before a new one may take its place.
        public var minimumIdleBeforeEviction: Duration
        /// The most bytes of partial frames held across all connections.
        public var frameBufferBudget: Int
        /// How often a refusal of one peer is logged at most.
        public var refusalLogInterval: Duration

        /// Limits with these defaults: 10 s handshake, 10 s to the first request without a certificate,
        /// 60 s for a whole exchange without one, 5 min read, 30 s write, 1 MiB frames, 16 workers of
        /// 256 KiB stacks, 4,096 connections, 1,024 handshakes, 1,024 per address, 256 per certificate,
        /// 1,024 per platform, 64 MiB of partial frames, refusals logged every 10 s.
        public init(
            name: String = "server", allowedPeerRoles: Set<Role>? = nil, handshakeTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(300), firstRequestTimeout: Duration = .seconds(10),
            unauthenticatedLifetime: Duration? = .seconds(60), writeTimeout: Duration = .seconds(30),
            lingerTimeout: Duration = .seconds(1), maxFrameSize: Int = FrameCodec.defaultMaxFrameSize,
            threadStackSize: Int = 256 << 10, workerThreads: Int = 16, maxConnections: Int = 4096, maxHandshakes: Int = 1024,
            maxConnectionsPerAddress: Int = 1024, maxConnectionsPerCertificate: Int = 256, maxConnectionsPerPlatform: Int = 1024,
            platformKey: @escaping @Sendable (PeerIdentity) -> String? = { $0.platformKey },
            minimumIdleBeforeEviction: Duration = .seconds(1), frameBufferBudget: Int = 64 << 20,
            refusalLogInterval: Duration = .seconds(10)
        ) {
            self.name = name
            self.allowedPeerRoles = allowedPeerRoles
            self.handshakeTimeout = handshakeTimeout
            self.readTimeout = readTimeout
            self.firstRequestTimeout = firstRequestTimeout
            self.unauthenticatedLifetime = unauthenticatedLifetime
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.maxFrameSize = maxFrameSize
            self.threadStackSize = threadStackSize
            self.workerThreads = workerThreads
            self.maxConnections = maxConnections
            self.maxHandshakes = maxHandshakes
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.maxConnectionsPerCertificate = maxConnectionsPerCertificate
            self.maxConnectionsPerPlatform = maxConnectionsPerPlatform
            self.platformKey = platformKey
            self.minimumIdleBeforeEviction = minimumIdleBeforeEviction
            self.frameBufferBudget = frameBufferBudget
            self.refusalLogInterval = refusalLogInterval
        }
    }

    /// Serves one request on a worker thread: `peer` is the verified client (nil without mutual TLS);
    /// answer with `connection.send`, now or (after `connection.answerLater`) from any thread later.
    public typealias Handler = @Sendable (_ peer: PeerIdentity?, _ request: Message, _ connection: ServedConnection) throws -> Void

    /// A handler that answers every request with exactly one message.
    public static func answering(_ answer: @escaping @Sendable (_ peer: PeerIdentity?, _ request: Message) throws -> Message) -> Handler {
        { peer, request, connection in try connection.send(try answer(peer, request)) }
    }

    /// The port it listens on (the OS-picked one when asked for port 0).
    public var port: UInt16 { listener.port }
    /// The address it listens on, e.g. "127.0.0.1:8124".
    public var address: String { listener.address }

    private let listener: TCPListener
    private let context: TLSContext
    private let logger: Logger
    private let loop: ServerLoop

    /// Listens on `host:port` at once (port 0: the OS picks; read `port`). Call `run()` or `start()` to serve.
    ///
    /// Raises the process's open-file soft limit to its hard limit (see `OpenFileLimit`), so that
    /// thousands of clients fit.
    public init(
        host: String, port: UInt16, context: TLSContext, configuration: Configuration = Configuration(),
        logger: Logger, handler: @escaping Handler
    ) throws(ChannelError) {
        guard context.side == .server else {
            throw ChannelError(kind: .transport, code: .internal, message: "a ChannelServer needs a server TLS context")
        }
        OpenFileLimit.raiseToHardLimit()
        listener = try TCPListener(host: host, port: port)
        self.context = context
        self.logger = logger
        loop = try ServerLoop(listener: listener, context: context, configuration: configuration, logger: logger, handler: handler)
    }

    /// Presents `context` in every handshake from now on and admits `allowedPeerRoles` (nil: any role the
    /// root certified) from the next peer check on, without dropping open connections: they keep the TLS
    /// state they were made with. For a renewed admission certificate or a reloaded policy.
    public func replace(context: TLSContext, allowedPeerRoles: Set<Role>?) throws(ChannelError) {
        guard context.side == .server, context.requestsPeerCertificate == self.context.requestsPeerCertificate else {
            throw ChannelError(
                kind: .transport, code: .internal,
                message: "a replacement TLS context must be a server context that asks for peer certificates as the first one did")
        }
        loop.replace(context: context, allowedPeerRoles: allowedPeerRoles)
    }

    /// Closes every open connection whose verified peer `matches` (e.g. its certificate was revoked);
    /// `done` hears how many on the loop's thread.
    public func closeConnections(
        where matches: @escaping @Sendable (PeerIdentity) -> Bool, done: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        loop.closeConnections(where: matches, done: done)
    }

    /// How many connections are open now.
    public var activeConnections: Int { loop.counters.withLock { $0.connections } }

    /// The admitted peers connected now, the longest connected first.
    public var connectedPeers: [ConnectedPeer] { loop.peers.withLock { $0.values.sorted { $0.since < $1.since } } }

    /// How many bytes of partial frames the open connections hold now (at most the configured budget).
    public var heldFrameBytes: Int { loop.counters.withLock { $0.heldBytes } }

    /// Serves on the calling thread until `stop()` is called (from another thread or a signal handler's).
    public func run() {
        logger.info("listening", metadata: ["listen.address": "\(address)", "tls.mutual": "\(context.requestsPeerCertificate)"])
        loop.run()
        listener.shutdown()
        logger.info("stopped listening", metadata: ["listen.address": "\(address)"])
    }

    /// Serves on a new thread and returns at once.
    public func start() throws(ChannelError) {
        loop.counters.withLock { $0.running = true }
        guard WorkerThread.start(stackSize: 1 << 20, { [self] in run() }) else {
            loop.counters.withLock { $0.running = false }
            throw ChannelError(kind: .transport, code: .internal, message: "could not start the event loop's thread")
        }
    }

    /// Stops accepting, ends every open connection, and waits (at most `timeout`) for the loop and the
    /// handlers at work. Safe from any thread, and more than once.
    public func stop(timeout: Duration = .seconds(5)) {
        loop.stop()
        listener.shutdown()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, loop.counters.withLock({ $0.running }) || !loop.workersIdle {
            usleep(2_000)
        }
    }
}
