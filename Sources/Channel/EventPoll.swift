internal import CEpoll
import Glibc

/// One epoll instance and a pipe that wakes it: the kernel tells a server's event loop which of its
/// sockets are ready, so that a connection waiting for bytes costs no thread.
///
/// Level-triggered: a socket stays reported while it is ready, so a loop that reads a little at a time
/// (one frame, then the handler) loses nothing. Used by the loop's thread only, except `wake()`.
final class EventPoll: @unchecked Sendable {
    /// What a socket is watched for.
    struct Interest: OptionSet, Sendable {
        let rawValue: UInt32
        /// Bytes (or the peer's close) to read.
        static let read = Interest(rawValue: 0x001)  // EPOLLIN
        /// Room to write.
        static let write = Interest(rawValue: 0x004)  // EPOLLOUT
        /// The peer closed its side (reported even when reading is not wanted).
        static let peerClosed = Interest(rawValue: 0x2000)  // EPOLLRDHUP
    }

    /// One ready socket, by the token it was added with.
    struct Event {
        let token: UInt64
        let readable: Bool
        let writable: Bool
        /// The peer closed its side, or the socket failed.
        let hungUp: Bool
    }

    /// The token of the wake-up pipe's events.
    static let wakeToken = UInt64.max

    private let descriptor: Int32
    private let wakeReader: Int32
    private let wakeWriter: Int32
    private var buffer = [epoll_event](repeating: epoll_event(), count: 256)

    /// A new epoll instance with its wake-up pipe added.
    init() throws(ChannelError) {
        descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard descriptor >= 0 else {
            throw ChannelError(kind: .transport, code: .internal, message: "epoll_create1 failed: \(SocketDescriptor.lastError())")
        }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            _ = close(descriptor)
            throw ChannelError(kind: .transport, code: .internal, message: "pipe failed: \(SocketDescriptor.lastError())")
        }
        wakeReader = ends[0]
        wakeWriter = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        _ = add(wakeReader, token: Self.wakeToken, interest: .read)
    }

    deinit {
        _ = close(wakeReader)
        _ = close(wakeWriter)
        _ = close(descriptor)
    }

    /// Watches `fd` for `interest`; false if the kernel refused (out of memory).
    func add(_ fd: Int32, token: UInt64, interest: Interest) -> Bool {
        control(EPOLL_CTL_ADD, fd, token: token, interest: interest)
    }

    /// Changes what `fd` is watched for.
    func modify(_ fd: Int32, token: UInt64, interest: Interest) {
        _ = control(EPOLL_CTL_MOD, fd, token: token, interest: interest)
    }

    /// Stops watching `fd` (before it is closed).
    func remove(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, &event)
    }

    /// Waits at most `milliseconds` for ready sockets; a wake-up is consumed here and reported as an
    /// event with `wakeToken`.
    func wait(milliseconds: Int32) -> [Event] {
        let count = buffer.withUnsafeMutableBufferPointer { events in
            epoll_wait(descriptor, events.baseAddress, Int32(events.count), milliseconds)
        }
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let event = buffer[index]
            let token = event.data.u64
            if token == Self.wakeToken { drainWakeUps() }
            return Event(
                token: token, readable: event.events & Interest.read.rawValue != 0,
                writable: event.events & Interest.write.rawValue != 0,
                // EPOLLERR, EPOLLHUP, EPOLLRDHUP
                hungUp: event.events & (0x008 | 0x010 | 0x2000) != 0)
        }
    }

    /// Makes the loop's current or next `wait` return at once. Safe from any thread.
    func wake() {
        var byte: UInt8 = 1
        // A full pipe already holds a wake-up: nothing is lost when this write fails.
        _ = write(wakeWriter, &byte, 1)
    }

    private func drainWakeUps() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wakeReader, &bytes, bytes.count) > 0 {}
    }

    private func control(_ operation: Int32, _ fd: Int32, token: UInt64, interest: Interest) -> Bool {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = token
        return epoll_ctl(descriptor, operation, fd, &event) == 0
    }
}
