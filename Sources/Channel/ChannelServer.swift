internal import ByteKit
import Dispatch
import Foundation
public import Logging
public import OpenSSLKit
public import Policy
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TLS 1.3 server of framed messages: one thread per connection, peers checked before any request.
///
/// For each connection it runs the handshake (bounded by `handshakeTimeout`), then, with mutual TLS,
/// refuses a peer whose certificate is missing, untrusted, names no role, or names a role outside
/// `allowedPeerRoles`: the peer gets an `error` frame saying why, and no request of its is read.
/// Otherwise it reads requests until the peer closes and passes each to the handler; a request that
/// arrives after the peer's certificate expired is refused instead. A handler error becomes an `error`
/// frame (its code if it is a `ChannelError`, `internal` otherwise), and so does a malformed or
/// oversized frame; then that connection closes and the server goes on serving others.
///
/// Slow peers cannot hold a thread for long: a connection whose handshake, or one of whose frames,
/// takes longer than its timeout in all is shut down (`Socket.deadline`; a peer that sends a byte now
/// and then never trips the per-read timeouts). A flood of connections cannot use up threads and
/// memory, nor crowd out admitted peers: at most `maxHandshakes` connections are accepted and not yet
/// admitted at once (the next ones wait in the listen backlog until one is decided), and at most
/// `maxConnections` are served in all (one more is closed as soon as it is accepted).
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
        /// The most one read may wait, including the wait for a client's next request.
        public var readTimeout: Duration
        /// The most one write may wait.
        public var writeTimeout: Duration
        /// The largest frame accepted or sent.
        public var maxFrameSize: Int
        /// Stack size of each connection thread.
        public var threadStackSize: Int
        /// The most connections served at once; one more is closed as soon as it is accepted.
        public var maxConnections: Int
        /// The most connections in their handshake (accepted, peer not yet admitted or refused) at once;
        /// the next ones are not accepted until one is decided.
        public var maxHandshakes: Int

        /// Limits with these defaults: 10 s handshake, 5 min read, 30 s write, 1 MiB frames, 256 KiB stacks,
        /// 4,096 connections of which 256 in their handshake.
        public init(
            name: String = "server", allowedPeerRoles: Set<Role>? = nil, handshakeTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(300), writeTimeout: Duration = .seconds(30),
            maxFrameSize: Int = FrameCodec.defaultMaxFrameSize, threadStackSize: Int = 256 << 10, maxConnections: Int = 4096,
            maxHandshakes: Int = 256
        ) {
            self.name = name
            self.allowedPeerRoles = allowedPeerRoles
            self.handshakeTimeout = handshakeTimeout
            self.readTimeout = readTimeout
            self.writeTimeout = writeTimeout
            self.maxFrameSize = maxFrameSize
            self.threadStackSize = threadStackSize
            self.maxConnections = maxConnections
            self.maxHandshakes = maxHandshakes
        }
    }

    /// Serves one request: `peer` is the verified client (nil without mutual TLS); answer on `connection`.
    public typealias Handler = @Sendable (_ peer: PeerIdentity?, _ request: Message, _ connection: FramedConnection) throws -> Void

    /// A handler that answers every request with exactly one message.
    public static func answering(_ answer: @escaping @Sendable (_ peer: PeerIdentity?, _ request: Message) throws -> Message) -> Handler {
        { peer, request, connection in try connection.send(try answer(peer, request)) }
    }

    private struct State: ~Copyable {
        var stopping = false
        var nextID = 0
        var connections: [Int: Socket] = [:]
        /// Whether connections are being turned away for the limit (logged once each time it is reached).
        var atLimit = false
    }

    /// The port it listens on (the OS-picked one when asked for port 0).
    public var port: UInt16 { listener.port }
    /// The address it listens on, e.g. "127.0.0.1:8124".
    public var address: String { listener.address }

    private let listener: TCPListener
    private let context: TLSContext
    private let configuration: Configuration
    private let logger: Logger
    private let handler: Handler
    private let state = Mutex(State())
    /// True while no accept loop runs (before `run()` and after it returns).
    private let acceptLoopDone = Mutex(true)
    /// One permit per connection that may be in its handshake; `stop()` adds one to wake the accept loop.
    private let handshakeSlots: DispatchSemaphore

    /// Listens on `host:port` at once (port 0: the OS picks; read `port`). Call `run()` or `start()` to serve.
    ///
    /// Raises the process's open-file soft limit to its hard limit (see `OpenFileLimit`), so that a
    /// thousand clients fit.
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
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        handshakeSlots = DispatchSemaphore(value: max(1, configuration.maxHandshakes))
    }

    /// How many connections are being served now.
    public var activeConnections: Int { state.withLock { $0.connections.count } }

    /// Serves on the calling thread until `stop()` is called (from another thread or a signal handler's).
    public func run() {
        acceptLoopDone.withLock { $0 = false }
        logger.info("listening", metadata: ["listen.address": "\(address)", "tls.mutual": "\(context.requestsPeerCertificate)"])
        while !state.withLock({ $0.stopping }) {
            // Connections beyond the handshake limit wait in the kernel's listen backlog.
            handshakeSlots.wait()
            let socket: Socket
            do {
                socket = try listener.accept()
            } catch {
                handshakeSlots.signal()
                if state.withLock({ $0.stopping }) { break }
                // Out of descriptors or memory: pause rather than spin, then go on serving.
                logger.error("accept failed", metadata: ["error": "\(error.message)"])
                usleep(100_000)
                continue
            }
            guard let registration = register(socket) else { break }
            guard case .admitted(let id) = registration else {
                handshakeSlots.signal()
                if case .refusedFirst = registration {
                    logger.warning(
                        "connection limit reached: closing new connections at once until one ends",
                        metadata: ["connections.max": "\(configuration.maxConnections)"])
                }
                continue
            }
            let started = WorkerThread.start(stackSize: configuration.threadStackSize) { [self] in
                serve(socket, decided: { handshakeSlots.signal() })
                // Done with OpenSSL before `stop()` can see this connection gone and let the process exit.
                OpenSSLThread.finish()
                unregister(id)
            }
            if !started {
                logger.error("no thread for a new connection; closing it", metadata: ["peer.address": "\(socket.remoteAddress)"])
                unregister(id)
                handshakeSlots.signal()
            }
        }
        acceptLoopDone.withLock { $0 = true }
        logger.info("stopped listening", metadata: ["listen.address": "\(address)"])
    }

    /// Serves on a new thread and returns at once.
    public func start() throws(ChannelError) {
        guard WorkerThread.start(stackSize: 1 << 20, { [self] in run() }) else {
            throw ChannelError(kind: .transport, code: .internal, message: "could not start the accept thread")
        }
    }

    /// Stops accepting, ends every open connection, and waits (at most `timeout`) for their threads.
    /// Safe from any thread, and more than once.
    public func stop(timeout: Duration = .seconds(5)) {
        let open = state.withLock { state in
            state.stopping = true
            return Array(state.connections.values)
        }
        listener.shutdown()
        handshakeSlots.signal()
        for socket in open { socket.shutdown() }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, activeConnections > 0 || !acceptLoopDone.withLock({ $0 }) {
            usleep(5_000)
        }
    }

    private enum Registration {
        /// Serve it under this id.
        case admitted(Int)
        /// Over the limit: close it; the first one since the limit was reached.
        case refusedFirst
        /// Over the limit: close it.
        case refused
    }

    /// Registers a new connection; nil once the server is stopping.
    private func register(_ socket: Socket) -> Registration? {
        state.withLock { state in
            guard !state.stopping else { return nil }
            guard state.connections.count < configuration.maxConnections else {
                defer { state.atLimit = true }
                return state.atLimit ? .refused : .refusedFirst
            }
            state.atLimit = false
            state.nextID += 1
            state.connections[state.nextID] = socket
            return .admitted(state.nextID)
        }
    }

    private func unregister(_ id: Int) {
        _ = state.withLock { $0.connections.removeValue(forKey: id) }
    }

    /// One connection, start to end, on its own thread; `decided` runs once its peer is admitted or
    /// refused (or its handshake failed).
    private func serve(_ socket: Socket, decided: () -> Void) {
        var logger = self.logger
        logger[metadataKey: "peer.address"] = "\(socket.remoteAddress)"
        var undecided = true
        defer { if undecided { decided() } }
        let connection: FramedConnection
        do {
            connection = try FramedConnection.handshake(
                over: socket, context: context, peer: socket.remoteAddress,
                handshakeTimeout: configuration.handshakeTimeout, readTimeout: configuration.readTimeout,
                writeTimeout: configuration.writeTimeout, maxFrameSize: configuration.maxFrameSize)
        } catch {
            logger.info("TLS handshake failed", metadata: ["error": "\(error.message)"])
            return
        }
        defer { connection.close() }
        let peer: PeerIdentity?
        do {
            peer = try admit(connection)
            undecided = false
            decided()
        } catch {
            logger.warning("refused peer", metadata: ["error.code": "\(error.code)", "error": "\(error.message)"])
            connection.sendError(error.code, "\(configuration.name) refused the connection: \(error.message)")
            return
        }
        if let peer {
            connection.peer = peer
            logger[metadataKey: "peer.role"] = "\(peer.role)"
            logger[metadataKey: "peer.serial"] = "\(Hex.encode(peer.serialNumber))"
            if let measurement = peer.measurement { logger[metadataKey: "peer.measurement"] = "\(Hex.encode(measurement))" }
        }
        logger.debug("connected", metadata: ["tls.negotiated": "\(connection.tls.negotiated)"])
        serveRequests(on: connection, peer: peer, logger: logger)
    }

    /// The verified peer (nil without mutual TLS), or a `not-authorized` error saying why it is refused.
    private func admit(_ connection: FramedConnection) throws(ChannelError) -> PeerIdentity? {
        guard context.requestsPeerCertificate else { return nil }
        do {
            return try PeerCheck.check(verdict: connection.tls.peerVerdict, allowed: configuration.allowedPeerRoles)
        } catch {
            if case .noCertificate = error, !configuration.requiresPeerCertificate { return nil }
            throw ChannelError(kind: .refused, code: .notAuthorized, message: error.reasonForPeer(server: configuration.name))
        }
    }

    private func serveRequests(on connection: FramedConnection, peer: PeerIdentity?, logger: Logger) {
        var logger = logger
        do {
            while let request = try connection.receiveIfAny() {
                logger[metadataKey: "request.type"] = "\(request.type)"
                logger.trace("request", metadata: ["request": "\(request)"])
                // The handshake checked the certificate's dates; a connection may outlive them.
                if let peer, Date() > peer.notAfter {
                    throw ChannelError(
                        kind: .refused, code: .notAuthorized,
                        message: "\(configuration.name) refused the request: your certificate expired on \(UTCTimeText.format(peer.notAfter)) "
                            + "(after this connection was made); attest again and reconnect")
                }
                try handler(peer, request, connection)
            }
            logger.debug("peer closed the connection")
        } catch let error as ChannelError {
            switch error.kind {
            case .closed:
                logger.debug("connection closed", metadata: ["error": "\(error.message)"])
            case .transport:
                logger.info("connection failed", metadata: ["error": "\(error.message)"])
            case .timeout:
                logger.info("timed out", metadata: ["error": "\(error.message)"])
                connection.sendError(.timeout, "\(configuration.name) closed the connection: \(error.message)")
            case .local, .remote, .refused:
                logger.warning("answering with an error", metadata: ["error.code": "\(error.code)", "error": "\(error.message)"])
                connection.sendError(error.code, error.message)
            }
        } catch {
            logger.error("handler failed", metadata: ["error": "\(error)"])
            connection.sendError(.internal, "\(error)")
        }
    }
}
