import Synchronization

/// A connection as a server's handler sees it: who the peer is, and a way to answer, from any thread.
///
/// The connection itself belongs to the server's event loop; `send` hands the encoded frame over to
/// it and returns without waiting for the bytes to leave. One request is served at a time: the next is
/// read once the handler returns, or, if it called `answerLater`, once the `DeferredAnswer` is finished,
/// so a request that waits long (the runtime's `await-global`) holds no thread while it waits.
public final class ServedConnection: Sendable {
    /// A number no other connection of this process has, so a server can keep per-connection state
    /// (the certifier's nonce) without relying on object addresses, which are reused.
    public let id: UInt64
    /// The peer's address, e.g. "127.0.0.1:51234".
    public let peerAddress: String
    /// The peer's identity, once its certificate was found trusted (nil without mutual TLS).
    public let peer: PeerIdentity?
    private let codec: FrameCodec
    private let post: @Sendable (@escaping @Sendable (ServerLoop) -> Void) -> Void
    /// Queues a job for the server's worker pool.
    let submit: @Sendable (@escaping @Sendable () -> Void) -> Void
    private let state = Mutex(State())

    private struct State {
        var gone = false
        var deferred = false
        var whenGone: (@Sendable () -> Void)?
    }

    init(
        id: UInt64, peerAddress: String, peer: PeerIdentity?, codec: FrameCodec,
        post: @escaping @Sendable (@escaping @Sendable (ServerLoop) -> Void) -> Void,
        submit: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
    ) {
        self.id = id
        self.peerAddress = peerAddress
        self.peer = peer
        self.codec = codec
        self.post = post
        self.submit = submit
    }

    /// Whether the connection has closed (the peer went away, or the server closed it).
    public var isGone: Bool { state.withLock { $0.gone } }

    /// Queues `message` as one frame; throws if it is over the frame limit or the connection is gone.
    public func send(_ message: Message) throws(ChannelError) {
        let frame = try codec.encode(message)
        guard !isGone else {
            throw ChannelError(kind: .closed, code: .internal, message: "sending \"\(message.type)\" to \(peerAddress): the connection is closed")
        }
        let id = id
        post { loop in loop.enqueue(frame, on: id) }
    }

    /// Keeps the current request open after the handler returns, without a thread: finish it with the
    /// returned answer's `send` or `fail`. `whenGone` runs once if the connection closes first (the
    /// peer went away or the server stops), so the waiter can be dropped; it runs at once if it already has.
    public func answerLater(whenGone: @escaping @Sendable () -> Void) -> DeferredAnswer {
        let goneAlready = state.withLock { state in
            state.deferred = true
            if !state.gone { state.whenGone = whenGone }
            return state.gone
        }
        if goneAlready { whenGone() }
        return DeferredAnswer(connection: self)
    }

    /// Whether the handler deferred its answer (read once, after it returns).
    func takeDeferred() -> Bool {
        state.withLock { state in
            defer { state.deferred = false }
            return state.deferred
        }
    }

    /// Marks the connection closed and tells a deferred answer's waiter; called by the loop.
    func markGone() {
        let whenGone = state.withLock { state in
            state.gone = true
            defer { state.whenGone = nil }
            return state.whenGone
        }
        whenGone?()
    }

    /// Ends the request under way: the next one is read, or, after `error`, the connection closes
    /// with an error frame, as after a handler that threw.
    func finish(_ error: (any Error)?) {
        state.withLock { $0.whenGone = nil }
        let id = id
        let outcome = error.map { SendableError($0) }
        post { loop in loop.finishRequest(on: id, error: outcome?.error) }
    }
}

/// The answer to a request whose handler returned before it had one (see `ServedConnection.answerLater`).
public final class DeferredAnswer: Sendable {
    private let connection: ServedConnection
    private let finished = Atomic(false)

    init(connection: ServedConnection) {
        self.connection = connection
    }

    /// Sends `message` as the answer and lets the next request be read; only the first finish counts.
    public func send(_ message: Message) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do {
            try connection.send(message)
            connection.finish(nil)
        } catch {
            connection.finish(error)
        }
    }

    /// Sends the message `answer` returns, computed on one of the server's worker threads when one is free,
    /// or fails with what it throws: for the last step of a request that waited without a thread and must
    /// still block briefly (the runtime's training waits for its anchoring at the certifier).
    public func sendOnWorker(_ answer: @escaping @Sendable () throws -> Message) {
        connection.submit { [self] in
            do {
                send(try answer())
            } catch {
                fail(error)
            }
        }
    }

    /// Answers with `error` (an `error` frame, as if the handler had thrown it) and closes the connection.
    public func fail(_ error: any Error) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        connection.finish(error)
    }
}

/// Carries a handler's error to the loop's thread; errors are values that the loop only reads.
struct SendableError: @unchecked Sendable {
    let error: any Error

    init(_ error: any Error) {
        self.error = error
    }
}
