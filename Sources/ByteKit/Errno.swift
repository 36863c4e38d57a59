import Glibc

/// A POSIX error number as a value, as swift-system's `Errno`: read `errno` once, right after the call
/// that failed, and carry it (a later call may overwrite the global).
public struct Errno: RawRepresentable, Error, Sendable, Hashable, CustomStringConvertible {
    /// The number, e.g. `ENOENT`.
    public let rawValue: Int32

    /// The error number `rawValue`.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The error the last failed call left in `errno`.
    public static var current: Errno { Errno(rawValue: errno) }

    /// Interrupted by a signal: the call is retried.
    public static let interrupted = Errno(rawValue: EINTR)

    /// A non-blocking call that would have to wait (`EWOULDBLOCK`, the same number as `EAGAIN` on Linux).
    public static let wouldBlock = Errno(rawValue: EWOULDBLOCK)

    /// strerror's words in lowercase, e.g. "no such file or directory".
    public var description: String { String(cString: strerror(rawValue)).lowercased() }
}
