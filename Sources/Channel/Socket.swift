import Synchronization

import Glibc

/// A connected (or listening) TCP socket that this process owns, closed when the last reference goes.
///
/// `Sendable` because the descriptor never changes and the deadline is behind a lock: `shutdown` may be
/// called from any thread (that is how a server stops connections), and `close` happens only in
/// `deinit`, when no other thread can hold the socket any more.
package final class Socket: Sendable, CustomStringConvertible {
    let descriptor: SocketDescriptor
    /// The peer's address, e.g. "127.0.0.1:51234" (empty for a listening socket).
    package let remoteAddress: String
    private let operationDeadline = Mutex<ContinuousClock.Instant?>(nil)

    /// Adopts `descriptor`; it will be closed in `deinit`.
    init(adopting descriptor: SocketDescriptor, remoteAddress: String = "") {
        self.descriptor = descriptor
        self.remoteAddress = remoteAddress
        Self.ignoreBrokenPipes
    }

    deinit {
        _ = Glibc.close(descriptor.rawValue)
    }

    /// A write to a socket that the peer has closed raises SIGPIPE, whose default action kills the
    /// process. OpenSSL writes through `write(2)`, which cannot pass `MSG_NOSIGNAL`, so the signal is
    /// ignored once, process-wide, when the first socket is made; the write then fails with `EPIPE`.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// The descriptor, for `TLSConnection(context:fileDescriptor:)`; it stays owned by this socket.
    package var fileDescriptor: Int32 { descriptor.rawValue }

    /// The local port (the one the OS picked when listening on port 0).
    package var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor.rawValue, $0, &length) }
        }
        guard status == 0 else { return 0 }
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length).port }
        }
    }

    /// Whether a read would return at once (data, the peer's close, or an error), checked without waiting.
    package var isReadable: Bool {
        var descriptor = pollfd(fd: self.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        return SocketDescriptor.retryingOnInterrupt { poll(&descriptor, 1, 0) } > 0
    }

    /// Sets how long a read (`receive`) and a write (`send`) may wait; zero means forever.
    package func setTimeouts(receive: Duration, send: Duration) throws(ChannelError) {
        try descriptor.setTimeout(SO_RCVTIMEO, receive, "the receive timeout")
        try descriptor.setTimeout(SO_SNDTIMEO, send, "the send timeout")
    }

    /// When the operation under way (a handshake, one whole frame) must be done, or nil for none.
    ///
    /// `SO_RCVTIMEO` bounds each read, so a peer that sends a byte now and then would never time out;
    /// this bounds the whole operation: `DeadlineWatchdog` shuts down a socket whose deadline has passed.
    package var deadline: ContinuousClock.Instant? {
        get { operationDeadline.withLock { $0 } }
        set {
            operationDeadline.withLock { $0 = newValue }
            if newValue == nil { DeadlineWatchdog.forget(self) } else { DeadlineWatchdog.watch(self) }
        }
    }

    /// Starts a deadline `timeout` from now for the next operation (none if `timeout` is zero: forever).
    func setDeadline(in timeout: Duration) {
        deadline = timeout > .zero ? .now + timeout : nil
    }

    /// Whether the operation under way has outlived its deadline.
    package var isPastDeadline: Bool {
        operationDeadline.withLock { deadline in deadline.map { ContinuousClock.now >= $0 } ?? false }
    }

    /// Sends small frames at once instead of waiting to fill a segment (Nagle off).
    func setNoDelay() throws(ChannelError) {
        try descriptor.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
    }

    /// Makes reads and writes return at once instead of waiting (for an event loop).
    func setNonBlocking() throws(ChannelError) {
        let flags = fcntl(descriptor.rawValue, F_GETFL)
        guard flags >= 0, fcntl(descriptor.rawValue, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw ChannelError(kind: .transport, code: .internal, message: "setting O_NONBLOCK failed: \(SocketDescriptor.lastError())")
        }
    }

    /// Ends reading and writing; a thread blocked on this socket (even in `accept`) returns at once.
    package func shutdown() {
        _ = Glibc.shutdown(descriptor.rawValue, Int32(SHUT_RDWR))
    }

    /// Ends this side's writing (TCP FIN), then reads and discards what the peer still sends until it
    /// closes, at most `timeout` and 1 MiB.
    ///
    /// Closing with unread input makes the kernel send a reset, which can destroy the last frame
    /// (an `error` frame) before the peer reads it; a peer that sees the FIN closes on its own.
    func finishGracefully(timeout: Duration) {
        _ = Glibc.shutdown(descriptor.rawValue, Int32(SHUT_WR))
        try? setTimeouts(receive: timeout, send: timeout)
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var discarded = 0
        while discarded < 1 << 20, ContinuousClock.now < deadline {
            let count = SocketDescriptor.retryingOnInterrupt { recv(descriptor.rawValue, &buffer, buffer.count, 0) }
            if count <= 0 { break }
            discarded += count
        }
    }

    /// "socket 7 to 127.0.0.1:51234".
    package var description: String {
        remoteAddress.isEmpty ? "socket \(descriptor.rawValue)" : "socket \(descriptor.rawValue) to \(remoteAddress)"
    }
}
