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

/// An exclusive lock on a state folder, so that one process at a time serves from it: `flock` on
/// `DIR/lock`, which also names the holder's process id for the next one to report.
///
/// The kernel releases a `flock` when its holder exits, however it exits, so a SIGKILLed server never
/// leaves a stale lock behind (a PID file alone would). Take it before reading anything in the folder:
/// a second server must not recover, close rounds or rewrite files before it fails.
public final class StateFolderLock: Sendable {
    /// The lock file's name inside the state folder.
    public static let fileName = "lock"

    private let descriptor: Int32

    /// Locks `folder` (which must exist), or throws naming the process that holds it.
    public init(folder: String) throws(StateFolderLockError) {
        let path = "\(folder)/\(Self.fileName)"
        // O_NOFOLLOW: the host may put a link there; the lock must be a file of the folder's own.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw StateFolderLockError(folder: folder, holder: nil, failure: .current) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = Errno.current
            if failure == .interrupted { continue }
            let holder = Self.holder(descriptor)
            close(descriptor)
            guard failure == .wouldBlock else { throw StateFolderLockError(folder: folder, holder: nil, failure: failure) }
            throw StateFolderLockError(folder: folder, holder: holder, failure: nil)
        }
        // Name the holder: the lock is ours, so nobody else writes the file meanwhile.
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(descriptor, 0) == 0, (try? FileBytes.writeAll(text, to: descriptor)) != nil else {
            let failure = Errno.current
            close(descriptor)
            throw StateFolderLockError(folder: folder, holder: nil, failure: failure)
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The process id the lock file names; nil if it names none (its holder has not written it yet).
    private static func holder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
