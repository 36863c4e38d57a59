import Glibc

/// Why a state folder could not be locked: another process holds it, or the lock file failed.
public struct StateFolderLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state folder.
    public let folder: String
    /// The process that holds the lock, when it is held and its lock file names it.
    public let holder: Int32?
    /// Why the lock file could not be used; nil when the folder is in use.
    public let failure: Errno?

    /// "state folder DIR is in use by process PID", or why the lock file failed.
    public var description: String {
        if let failure { return "cannot lock the state folder \(folder) (\(folder)/\(StateFolderLock.fileName)): \(failure)" }
        guard let holder else { return "state folder \(folder) is in use by another process" }
        return "state folder \(folder) is in use by process \(holder)"
    }
}

/// An exclusive lock on a state folder, so that one process at a time serves from it: `flock` on the
/// folder itself, with `DIR/lock` naming the holder's process id for the next one to report.
///
/// The kernel releases a `flock` when its holder exits, however it exits, so a SIGKILLed server never
/// leaves a stale lock behind (a PID file alone would). The lock is on the folder, not on the `lock`
/// file: a file can be deleted under its holder and made anew, which would let a second server in.
/// Take it before reading anything in the folder: a second server must not recover, close rounds or
/// rewrite files before it fails.
public final class StateFolderLock: Sendable {
    /// The name of the file inside the state folder that names the holder.
    public static let fileName = "lock"

    private let descriptor: Int32

    /// Locks `folder` (which must exist), or throws naming the process that holds it.
    public init(folder: String) throws(StateFolderLockError) {
        let path = "\(folder)/\(Self.fileName)"
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StateFolderLockError(folder: folder, holder: nil, failure: .current) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = Errno.current
            if failure == .interrupted { continue }
            close(descriptor)
            guard failure == .wouldBlock else { throw StateFolderLockError(folder: folder, holder: nil, failure: failure) }
            throw StateFolderLockError(folder: folder, holder: Self.holder(path), failure: nil)
        }
        // Name the holder: the lock is ours, so nobody else writes the file meanwhile. O_NOFOLLOW: the
        // host may put a link there; what is written must land in the folder's own file.
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard file >= 0, (try? FileBytes.writeAll(Array("\(getpid())\n".utf8), to: file)) != nil else {
            let failure = Errno.current
            if file >= 0 { close(file) }
            close(descriptor)
            throw StateFolderLockError(folder: folder, holder: nil, failure: failure)
        }
        close(file)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The process id the lock file at `path` names; nil if it names none.
    private static func holder(_ path: String) -> Int32? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
