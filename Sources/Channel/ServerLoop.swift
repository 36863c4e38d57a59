internal import ByteKit
import Foundation
import Glibc
public import Logging
internal import OpenSSLKit
internal import Policy
import Synchronization

/// The event loop behind `ChannelServer`: one thread that accepts connections, drives their TLS
/// handshakes and reads their frames as bytes arrive (epoll), enforces each stage's deadline and the
/// limits, and hands each complete request to the worker pool. A connection waiting for anything costs
/// its state here (kilobytes) and no thread.
///
/// `@unchecked Sendable`: everything but `posted`, `counters` and `poll.wake()` is touched by the loop's
/// thread only; other threads reach it through `post`, which queues a closure for that thread.
final class ServerLoop: @unchecked Sendable {
    typealias Configuration = ChannelServer.Configuration

    private let listener: TCPListener
    /// Replaced by `replace(context:allowedPeerRoles:)` (on the loop's thread): new handshakes use the
    /// current one, open connections keep the one they started with.
    private var context: TLSContext
    private var configuration: Configuration
    private let logger: Logger
    private let handler: ChannelServer.Handler
    private let poll: EventPoll
    private let pool: WorkerPool
    private let posted = Mutex<[@Sendable (ServerLoop) -> Void]>([])
    /// Figures other threads read: open connections, bytes held in partial frames, whether the loop runs.
    let counters = Mutex((connections: 0, heldBytes: 0, running: false, stopping: false))
    /// The admitted peers connected now, by connection id, for the status; other threads read it.
    let peers = Mutex([UInt64: ConnectedPeer]())

    private var connections: [UInt64: ServerConnection] = [:]
    private var handshakes = 0
    private var perAddress: [String: Int] = [:]
    private var perCertificate: [String: Int] = [:]
    private var perPlatform: [String: Int] = [:]
    private var heldBytes = 0
    private var atLimit = false
    private let refusals: RefusalLog
    private let metrics: ServerMetrics
    private var publishedConnections = -1
    private var scratch = [UInt8](repeating: 0, count: FrameAssembler.chunk)
    private static let listenerToken = UInt64.max - 1
    private static let nextID = Atomic<UInt64>(0)

    init(
        listener: TCPListener, context: TLSContext, configuration: Configuration, logger: Logger,
        handler: @escaping ChannelServer.Handler
    ) throws(ChannelError) {
        self.listener = listener
        self.context = context
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        poll = try EventPoll()
        pool = try WorkerPool(threads: configuration.workerThreads, stackSize: configuration.threadStackSize)
        refusals = RefusalLog(interval: configuration.refusalLogInterval)
        metrics = ServerMetrics(server: configuration.name)
        try listener.setNonBlocking()
        guard poll.add(listener.fileDescriptor, token: Self.listenerToken, interest: .read) else {
            throw ChannelError(kind: .transport, code: .internal, message: "could not watch the listening socket: \(SocketDescriptor.lastError())")
        }
    }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    func run() {
        counters.withLock { $0.running = true }
        var lastSweep = ContinuousClock.now
        while !counters.withLock({ $0.stopping }) {
            for event in poll.wait(milliseconds: Self.tickMilliseconds) {
                switch event.token {
                case EventPoll.wakeToken: break
                case Self.listenerToken: acceptReady()
                default: if let connection = connections[event.token] { handle(event, on: connection) }
                }
            }
            runPosted()
            let now = ContinuousClock.now
            if now - lastSweep >= Self.tick {
                lastSweep = now
                sweep(now: now)
            }
        }
        for connection in Array(connections.values) { destroy(connection) }
        runPosted()
        pool.stop()
        OpenSSLThread.finish()
        counters.withLock { $0.running = false }
    }

    /// Ends the loop: it closes every connection and returns from `run()`. Safe from any thread.
    func stop() {
        counters.withLock { $0.stopping = true }
        poll.wake()
    }

    /// Whether no handler is queued or running.
    var workersIdle: Bool { pool.isIdle }

    /// How often deadlines are checked, in milliseconds: how far past its deadline a stage may run.
    static let tickMilliseconds: Int32 = 50
    /// The same, as a duration.
    static let tick = Duration.milliseconds(tickMilliseconds)

    /// Queues `work` for the loop's thread. Safe from any thread.
    func post(_ work: @escaping @Sendable (ServerLoop) -> Void) {
        posted.withLock { $0.append(work) }
        poll.wake()
    }

    /// From now on, new handshakes present `context` and peers are checked against `allowedPeerRoles`;
    /// open connections keep their TLS state, so none is dropped.
    func replace(context: TLSContext, allowedPeerRoles: Set<Role>?) {
        post { loop in
            loop.context = context
            loop.configuration.allowedPeerRoles = allowedPeerRoles
        }
    }

    /// Closes every open connection whose verified peer `matches` (a revoked certificate), and calls
    /// `done` with how many it closed, on the loop's thread.
    func closeConnections(
        where matches: @escaping @Sendable (PeerIdentity) -> Bool, done: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        post { loop in
            let closing = loop.connections.values.filter { connection in connection.peer.map(matches) ?? false }
            for connection in closing { loop.destroy(connection) }
            done(closing.count)
        }
    }

    private func runPosted() {
        while true {
            let work = posted.withLock { queue in
                defer { queue = [] }
                return queue
            }
            if work.isEmpty { return }
            for item in work { item(self) }
        }
    }

    // MARK: Accepting

    private func acceptReady() {
        // A bounded batch, so that a flood of connections cannot starve the ones already open.
        for _ in 0..<64 {
            let socket: Socket?
            do {
                socket = try listener.acceptNow()
            } catch {
                // Stopping shuts the listener down, which wakes the loop with an accept that fails: not news.
                if counters.withLock({ $0.stopping }) { return }
                // Out of descriptors or memory: the next tick tries again.
                refusals.note("accept", "accept failed", level: .error, metadata: ["error": "\(error.message)"], to: logger)
                return
            }
            guard let socket else { return }
            admitNew(socket)
        }
    }

    private func admitNew(_ socket: Socket) {
        let now = ContinuousClock.now
        let host = ServerConnection.host(of: socket.remoteAddress)
        if perAddress[host, default: 0] >= configuration.maxConnectionsPerAddress {
            metrics.refused(.addressLimit)
            refusals.note(
                "address " + host, "connection refused: too many connections from this address", level: .warning,
                metadata: ["peer.address": "\(host)", "connections.max": "\(configuration.maxConnectionsPerAddress)"], to: logger)
            return
        }
        if handshakes >= configuration.maxHandshakes, let oldest = oldest(in: .handshake, idleFor: .zero, now: now) {
            evict(oldest, "\(handshakes) connections were in their TLS handshake, the most at once; the oldest gives way")
        }
        if connections.count >= configuration.maxConnections {
            if let oldest = oldest(in: .handshake, idleFor: .zero, now: now) {
                evict(oldest, "the server was full; the oldest unfinished handshake gives way")
            } else if let idle = oldest(in: .idle, idleFor: configuration.minimumIdleBeforeEviction, now: now) {
                logger.info("closing the oldest idle connection for a new one", metadata: metadata(of: idle))
                destroy(idle)
            }
        }
        guard connections.count < configuration.maxConnections else {
            if !atLimit {
                logger.warning(
                    "connection limit reached: closing new connections at once until one ends",
                    metadata: ["connections.max": "\(configuration.maxConnections)"])
            }
            atLimit = true
            metrics.refused(.serverFull)
            return
        }
        atLimit = false
        let tls: TLSConnection
        do {
            try socket.setNonBlocking()
            tls = try TLSConnection(context: context, fileDescriptor: socket.fileDescriptor)
        } catch {
            logger.error("could not set up a new connection; closing it", metadata: ["peer.address": "\(socket.remoteAddress)", "error": "\(error)"])
            return
        }
        tls.releaseBuffersWhenIdle()
        let id = Self.nextID.add(1, ordering: .relaxed).newValue
        let connection = ServerConnection(
            id: id, socket: socket, tls: tls, codec: FrameCodec(maxFrameSize: configuration.maxFrameSize), now: now)
        connection.deadline = now + configuration.handshakeTimeout
        if !context.requestsPeerCertificate, let lifetime = configuration.unauthenticatedLifetime {
            connection.lifetimeEnd = now + lifetime
        }
        guard poll.add(socket.fileDescriptor, token: id, interest: connection.interest) else {
            logger.error("could not watch a new connection; closing it", metadata: ["peer.address": "\(socket.remoteAddress)"])
            return
        }
        connections[id] = connection
        handshakes += 1
        perAddress[host, default: 0] += 1
        publishCounts()
    }

    /// The connection in `stage` that has waited longest (at least `idleFor`), if any.
    private func oldest(in stage: ServerConnection.Stage, idleFor: Duration, now: ContinuousClock.Instant) -> ServerConnection? {
        var oldest: ServerConnection?
        for connection in connections.values where connection.stage == stage && now - connection.idleSince >= idleFor {
            if oldest.map({ connection.idleSince < $0.idleSince }) ?? true { oldest = connection }
        }
        return oldest
    }

    private func evict(_ connection: ServerConnection, _ reason: String) {
        metrics.refused(.evicted)
        refusals.note(
            "handshake " + connection.host, "TLS handshake failed", level: .info,
            metadata: metadata(of: connection).merging(["error": "TLS handshake with \(connection.address): evicted: \(reason)"]) { $1 },
            to: logger)
        destroy(connection)
    }

    // MARK: Events

    private func handle(_ event: EventPoll.Event, on connection: ServerConnection) {
        if event.writable, connection.hasOutput {
            flush(connection)
            guard connections[connection.id] != nil else { return }
        }
        switch connection.stage {
        case .handshake:
            continueHandshake(connection)
        case .idle, .receiving:
            if event.readable || event.writable || event.hungUp { readFrames(connection) }
        case .handling:
            if event.hungUp, !connection.peerClosed {
                // The peer closed its side while its request is worked on: a deferred answer stops waiting.
                connection.peerClosed = true
                connection.served?.markGone()
            }
        case .closing:
            break
        case .lingering:
            linger(connection)
        }
        updateInterest(connection)
    }

    private func updateInterest(_ connection: ServerConnection) {
        guard connections[connection.id] != nil else { return }
        poll.modify(connection.socket.fileDescriptor, token: connection.id, interest: connection.interest)
    }

    // MARK: Handshake and admission

    private func continueHandshake(_ connection: ServerConnection) {
        let progress: TLSConnection.Progress
        do {
            progress = try connection.tls.continueHandshake()
        } catch {
            let failure = FramedConnection.channelError(
                error, "TLS handshake with \(connection.address)", timeout: configuration.handshakeTimeout, pastDeadline: false)
            metrics.refused(.tlsFailed)
            refusals.note(
                "handshake " + connection.host, "TLS handshake failed", level: .info,
                metadata: metadata(of: connection).merging(["error": "\(failure.message)"]) { $1 }, to: logger)
            destroy(connection)
            return
        }
        switch progress {
        case .wantsRead, .closed: connection.wantsWrite = false
        case .wantsWrite: connection.wantsWrite = true
        case .done: admit(connection)
        }
    }

    private func admit(_ connection: ServerConnection) {
        let now = ContinuousClock.now
        handshakes -= 1
        connection.wantsWrite = false
        connection.idleSince = now
        let peer: PeerIdentity?
        do {
            peer = try checkPeer(connection)
        } catch {
            metrics.refused(.notAuthorized)
            logger.warning("refused peer", metadata: metadata(of: connection).merging(["error.code": "\(error.code)", "error": "\(error.message)"]) { $1 })
            close(connection, error: ErrorMessage(error.code, "\(configuration.name) refused the connection: \(error.message)"))
            return
        }
        if let peer {
            if let refusal = countPeer(peer, of: connection) {
                metrics.refused(.peerLimit)
                refusals.note(
                    "certificate " + Hex.encode(peer.serialNumber), "connection refused: \(refusal)", level: .warning,
                    metadata: metadata(of: connection), to: logger)
                close(connection, error: ErrorMessage(.notAuthorized, "\(configuration.name) refused the connection: \(refusal)"))
                return
            }
        }
        connection.peer = peer
        if let peer {
            let shown = ConnectedPeer(role: peer.role, shortID: Hex.encode(peer.serialNumber.prefix(4)), since: Date())
            peers.withLock { $0[connection.id] = shown }
        }
        connection.served = ServedConnection(
            id: connection.id, peerAddress: connection.address, peer: peer,
            codec: FrameCodec(maxFrameSize: configuration.maxFrameSize), post: { [weak self] work in self?.post(work) },
            submit: { [pool] job in pool.submit(job) })
        connection.stage = .idle
        connection.deadline = now + (peer == nil ? configuration.firstRequestTimeout : configuration.readTimeout)
        logger.debug("connected", metadata: metadata(of: connection).merging(["tls.negotiated": "\(connection.tls.negotiated)"]) { $1 })
        // The first request may have come with the handshake's last flight.
        readFrames(connection)
    }

    /// The verified peer (nil without mutual TLS), or a `not-authorized` error saying why it is refused.
    private func checkPeer(_ connection: ServerConnection) throws(ChannelError) -> PeerIdentity? {
        guard context.requestsPeerCertificate else { return nil }
        do {
            return try PeerCheck.check(verdict: connection.tls.peerVerdict, allowed: configuration.allowedPeerRoles)
        } catch {
            // A server that asks for a certificate without requiring one (the certifier: attesting
            // clients have none yet) serves such a peer as anonymous; any other refusal stands.
            if case .noCertificate = error, !configuration.requiresPeerCertificate { return nil }
            throw ChannelError(kind: .refused, code: .notAuthorized, message: error.reasonForPeer(server: configuration.name))
        }
    }

    /// Moves an admitted peer's connection from its address's count to its certificate's (and
    /// platform's); the reason it is refused if either is full.
    private func countPeer(_ peer: PeerIdentity, of connection: ServerConnection) -> String? {
        let certificate = Hex.encode(peer.serialNumber)
        if perCertificate[certificate, default: 0] >= configuration.maxConnectionsPerCertificate {
            return "the certificate with serial \(certificate) already has \(configuration.maxConnectionsPerCertificate) connections open, the most per certificate"
        }
        let platform = configuration.platformKey(peer)
        if let platform, perPlatform[platform, default: 0] >= configuration.maxConnectionsPerPlatform {
            return "platform \(platform) already has \(configuration.maxConnectionsPerPlatform) connections open, the most per platform"
        }
        uncountAddress(connection)
        connection.certificateKey = certificate
        perCertificate[certificate, default: 0] += 1
        if let platform {
            connection.platformKey = platform
            perPlatform[platform, default: 0] += 1
        }
        return nil
    }

    // MARK: Requests

    /// Reads what has arrived into the frame under way; dispatches a complete request.
    private func readFrames(_ connection: ServerConnection) {
        while connection.stage == .idle || connection.stage == .receiving {
            let wanted = connection.frame.wanted
            let progress: TLSConnection.Progress
            do {
                progress = try scratch.withUnsafeMutableBytes { buffer in
                    try Result { () throws(TLSError) in
                        try connection.tls.readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
                    }.get()
                }
            } catch let error as TLSError {
                logger.info("connection failed", metadata: metadata(of: connection).merging(["error": "\(error.message)"]) { $1 })
                destroy(connection)
                return
            } catch {
                destroy(connection)
                return
            }
            switch progress {
            case .wantsRead:
                connection.wantsWrite = false
                return
            case .wantsWrite:
                connection.wantsWrite = true
                return
            case .closed:
                if connection.frame.isStarted {
                    logger.debug("connection closed", metadata: metadata(of: connection).merging(["error": "the peer closed the connection inside a frame"]) { $1 })
                    destroy(connection)
                } else {
                    logger.debug("peer closed the connection", metadata: metadata(of: connection))
                    close(connection, error: nil)
                }
                return
            case .done(let count):
                connection.wantsWrite = false
                if connection.stage == .idle {
                    connection.stage = .receiving
                    connection.deadline = .now + configuration.readTimeout
                }
                let body: [UInt8]?
                do {
                    body = try scratch.withUnsafeBytes { buffer in
                        try Result { () throws(ChannelError) in
                            try connection.frame.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                        }.get()
                    }
                } catch let error as ChannelError {
                    answerWithError(connection, error)
                    return
                } catch {
                    destroy(connection)
                    return
                }
                hold(connection.frame.heldBytes, for: connection)
                guard connections[connection.id] != nil else { return }
                if let body { dispatch(body, on: connection) }
            }
        }
    }

    /// Records that `connection` now holds `bytes` of a partial frame; past the budget, closes the
    /// connections holding the most until the total fits.
    private func hold(_ bytes: Int, for connection: ServerConnection) {
        heldBytes += bytes - connection.heldBytes
        connection.heldBytes = bytes
        if heldBytes > configuration.frameBufferBudget {
            let heaviest = connections.values.filter { $0.heldBytes > 0 }.sorted { $0.heldBytes > $1.heldBytes }
            for victim in heaviest where heldBytes > configuration.frameBufferBudget {
                refusals.note(
                    "budget", "closing the connection holding the most bytes of partial frames", level: .warning,
                    metadata: metadata(of: victim).merging([
                        "frame.held": "\(victim.heldBytes)", "frames.budget": "\(configuration.frameBufferBudget)",
                    ]) { $1 }, to: logger)
                destroy(victim)
            }
        }
        publishCounts()
    }

    private func dispatch(_ body: [UInt8], on connection: ServerConnection) {
        let request: Message
        do {
            request = try FrameCodec(maxFrameSize: configuration.maxFrameSize).decode(body: body)
        } catch {
            answerWithError(connection, error)
            return
        }
        let peer = connection.peer
        var logger = self.logger
        logger[metadataKey: "request.type"] = "\(request.type)"
        for (key, value) in metadata(of: connection) { logger[metadataKey: key] = value }
        logger.trace("request", metadata: ["request": "\(request)"])
        // The handshake checked the certificate's dates; a connection may outlive them.
        if let peer, Date() > peer.notAfter {
            answerWithError(
                connection,
                ChannelError(
                    kind: .refused, code: .notAuthorized,
                    message: "\(configuration.name) refused the request: your certificate expired on \(UTCTimeText.format(peer.notAfter)) "
                        + "(after this connection was made); attest again and reconnect"))
            return
        }
        guard let served = connection.served else { return }
        connection.stage = .handling
        connection.requests += 1
        connection.deadline = nil
        let handler = handler
        pool.submit {
            do {
                try handler(peer, request, served)
                if !served.takeDeferred() { served.finish(nil) }
            } catch {
                _ = served.takeDeferred()
                served.finish(error)
            }
        }
    }

    /// The handler is done with the request on connection `id`: read the next one, or answer `error`.
    func finishRequest(on id: UInt64, error: (any Error)?) {
        guard let connection = connections[id], connection.stage == .handling else { return }
        if let error {
            if let error = error as? ChannelError {
                switch error.kind {
                case .closed:
                    logger.debug("connection closed", metadata: metadata(of: connection).merging(["error": "\(error.message)"]) { $1 })
                    close(connection, error: nil)
                case .transport:
                    logger.info("connection failed", metadata: metadata(of: connection).merging(["error": "\(error.message)"]) { $1 })
                    close(connection, error: nil)
                case .timeout:
                    logger.info("timed out", metadata: metadata(of: connection).merging(["error": "\(error.message)"]) { $1 })
                    close(connection, error: ErrorMessage(.timeout, "\(configuration.name) closed the connection: \(error.message)"))
                case .local, .remote, .refused:
                    answerWithError(connection, error)
                }
            } else {
                logger.error("handler failed", metadata: metadata(of: connection).merging(["error": "\(error)"]) { $1 })
                close(connection, error: ErrorMessage(.internal, "\(error)"))
            }
            updateInterest(connection)
            return
        }
        let now = ContinuousClock.now
        connection.stage = .idle
        connection.idleSince = now
        connection.deadline = now + configuration.readTimeout
        if connection.peerClosed {
            // The peer closed while it waited: nothing more can come, so the connection ends once sent.
            close(connection, error: nil)
        } else {
            readFrames(connection)
        }
        updateInterest(connection)
    }

    private func answerWithError(_ connection: ServerConnection, _ error: ChannelError) {
        logger.warning(
            "answering with an error", metadata: metadata(of: connection).merging(["error.code": "\(error.code)", "error": "\(error.message)"]) { $1 })
        close(connection, error: error.errorMessage)
    }

    // MARK: Writing and closing

    /// Queues `frame` on connection `id` and writes what the socket takes.
    func enqueue(_ frame: [UInt8], on id: UInt64) {
        guard let connection = connections[id], connection.stage != .lingering else { return }
        if !connection.hasOutput { connection.writeDeadline = .now + configuration.writeTimeout }
        connection.output.append(frame)
        flush(connection)
        updateInterest(connection)
    }

    /// Writes queued frames until the socket is full; after the last one of a closing connection,
    /// sends close_notify and FIN and starts lingering.
    private func flush(_ connection: ServerConnection) {
        while let first = connection.output.first {
            let progress: TLSConnection.Progress
            do {
                progress = try first.withUnsafeBytes { buffer in
                    try Result { () throws(TLSError) in
                        try connection.tls.writeSome(UnsafeRawBufferPointer(rebasing: buffer[connection.outputOffset...]))
                    }.get()
                }
            } catch {
                logger.info("connection failed", metadata: metadata(of: connection).merging(["error": "sending to \(connection.address): \(error)"]) { $1 })
                destroy(connection)
                return
            }
            guard case .done(let count) = progress else { return }
            connection.outputOffset += count
            if connection.outputOffset == first.count {
                connection.output.removeFirst()
                connection.outputOffset = 0
            }
        }
        connection.writeDeadline = nil
        if connection.stage == .closing { startLingering(connection) }
    }

    /// Closes after sending `error` (if any) and what is queued, then lingers so the peer reads it all.
    private func close(_ connection: ServerConnection, error: ErrorMessage?) {
        connection.frame.reset()
        hold(0, for: connection)
        connection.served?.markGone()
        if connection.stage == .handshake { handshakes -= 1 }
        connection.stage = .closing
        connection.deadline = nil
        if let error, let frame = try? FrameCodec(maxFrameSize: configuration.maxFrameSize).encode(error.frame) {
            if !connection.hasOutput { connection.writeDeadline = .now + configuration.writeTimeout }
            connection.output.append(frame)
        }
        flush(connection)
        updateInterest(connection)
    }

    /// Ends this side (close_notify, FIN) and reads what the peer still sends until it closes: closing
    /// with unread input would make the kernel reset the connection and could destroy the last frame.
    private func startLingering(_ connection: ServerConnection) {
        connection.tls.close()
        _ = shutdown(connection.socket.fileDescriptor, Int32(SHUT_WR))
        connection.stage = .lingering
        connection.deadline = .now + configuration.lingerTimeout
        linger(connection)
    }

    private func linger(_ connection: ServerConnection) {
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(connection.socket.fileDescriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                connection.discarded += count
                if connection.discarded < 1 << 20 { continue }
            }
            if count < 0, errno == EAGAIN || errno == EINTR { return }
            destroy(connection)
            return
        }
    }

    /// Forgets the connection at once; its socket closes when the last reference goes.
    private func destroy(_ connection: ServerConnection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        poll.remove(connection.socket.fileDescriptor)
        connection.socket.shutdown()
        if connection.stage == .handshake { handshakes -= 1 }
        uncountAddress(connection)
        if let key = connection.certificateKey { decrement(&perCertificate, key) }
        if let key = connection.platformKey { decrement(&perPlatform, key) }
        heldBytes -= connection.heldBytes
        connection.heldBytes = 0
        connection.served?.markGone()
        if connection.peer != nil { _ = peers.withLock { $0.removeValue(forKey: connection.id) } }
        publishCounts()
    }

    private func uncountAddress(_ connection: ServerConnection) {
        guard connection.countedForAddress else { return }
        connection.countedForAddress = false
        decrement(&perAddress, connection.host)
    }

    private func decrement(_ counts: inout [String: Int], _ key: String) {
        if let count = counts[key], count > 1 { counts[key] = count - 1 } else { counts[key] = nil }
    }

    private func publishCounts() {
        let (count, held) = (connections.count, heldBytes)
        if count != publishedConnections {
            publishedConnections = count
            metrics.connections(count)
        }
        counters.withLock {
            $0.connections = count
            $0.heldBytes = held
        }
    }

    // MARK: Deadlines

    /// Ends every connection whose stage outlived its deadline.
    private func sweep(now: ContinuousClock.Instant) {
        for connection in Array(connections.values) {
            if let end = connection.writeDeadline, now >= end {
                logger.info("timed out", metadata: metadata(of: connection).merging([
                    "error": "sending to \(connection.address): took longer than \(configuration.writeTimeout)",
                ]) { $1 })
                destroy(connection)
                continue
            }
            if let end = connection.lifetimeEnd, now >= end, connection.stage != .closing, connection.stage != .lingering {
                let lifetime = configuration.unauthenticatedLifetime ?? .zero
                expire(connection, "the exchange took longer than \(lifetime), the most for a peer without a certificate")
                continue
            }
            guard let deadline = connection.deadline, now >= deadline else { continue }
            switch connection.stage {
            case .handshake:
                metrics.refused(.timeout)
                refusals.note(
                    "handshake " + connection.host, "TLS handshake failed", level: .info,
                    metadata: metadata(of: connection).merging([
                        "error": "TLS handshake with \(connection.address): took longer than \(configuration.handshakeTimeout)",
                    ]) { $1 }, to: logger)
                destroy(connection)
            case .idle:
                let timeout = connection.peer == nil && connection.requests == 0
                    ? configuration.firstRequestTimeout : configuration.readTimeout
                expire(connection, "waiting for a frame from \(connection.address): timed out after \(timeout)")
            case .receiving:
                let activity = connection.frame.length.map { "receiving a \($0)-byte frame from \(connection.address)" }
                    ?? "waiting for a frame from \(connection.address)"
                expire(connection, "\(activity): took longer than \(configuration.readTimeout)")
            case .handling, .closing:
                break
            case .lingering:
                destroy(connection)
            }
        }
    }

    private func expire(_ connection: ServerConnection, _ message: String) {
        logger.info("timed out", metadata: metadata(of: connection).merging(["error": "\(message)"]) { $1 })
        close(connection, error: ErrorMessage(.timeout, "\(configuration.name) closed the connection: \(message)"))
    }

    /// The log metadata naming a connection's peer.
    private func metadata(of connection: ServerConnection) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["peer.address": "\(connection.address)"]
        if let peer = connection.peer {
            metadata["peer.role"] = "\(peer.role)"
            metadata["peer.serial"] = "\(Hex.encode(peer.serialNumber))"
            if let measurement = peer.measurement { metadata["peer.measurement"] = "\(Hex.encode(measurement))" }
        }
        return metadata
    }
}
