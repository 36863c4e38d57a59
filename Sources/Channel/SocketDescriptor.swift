import Glibc

/// A raw socket descriptor with system calls that retry on `EINTR` and report failures in words.
///
/// A plain value: it owns nothing. `Socket` owns one and closes it.
struct SocketDescriptor: RawRepresentable, Hashable, Sendable {
    let rawValue: Int32

    init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// `errno` in words, e.g. "Connection refused".
    static func lastError() -> String {
        String(cString: strerror(errno))
    }

    /// Repeats `call` while it fails with `EINTR`; returns its last result.
    static func retryingOnInterrupt<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// Sets an integer socket option.
    func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(ChannelError) {
        var value = value
        guard setsockopt(rawValue, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw ChannelError(kind: .transport, code: .internal, message: "setting \(what) failed: \(Self.lastError())")
        }
    }

    /// Sets `SO_RCVTIMEO` or `SO_SNDTIMEO`; zero or less means wait forever.
    func setTimeout(_ name: Int32, _ duration: Duration, _ what: String) throws(ChannelError) {
        let (seconds, attoseconds) = duration <= .zero ? (0, 0) : duration.components
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        // A timeout that rounds to zero microseconds would mean "forever".
        if duration > .zero, time.tv_sec == 0, time.tv_usec == 0 { time.tv_usec = 1 }
        guard setsockopt(rawValue, SOL_SOCKET, name, &time, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw ChannelError(kind: .transport, code: .internal, message: "setting \(what) failed: \(Self.lastError())")
        }
    }
}
