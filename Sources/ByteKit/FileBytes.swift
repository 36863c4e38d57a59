#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole files as bytes: read in one go, or replaced atomically. POSIX calls, so errors carry errno's
/// words ("no such file or directory") rather than Foundation's generic ones.
public enum FileBytes {
    /// Why a file could not be read or written: `"<path>: <reason>"`.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The file the caller named (never a temporary one).
        public let path: String
        /// What went wrong, in words.
        public let reason: String

        /// A failure of the file at `path`.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        public var description: String { "\(path): \(reason)" }
    }

    /// The bytes of the file at `path`.
    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(path) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw Failure(path: path, reason: "is a directory") }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(max(0, status.st_size)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(path) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Whether a file (or anything else) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// Replaces the file at `path` with `bytes` atomically: a temporary file beside it, created with
    /// `permissions`, is written, synced and renamed over `path`, then the directory is synced. Readers
    /// (and a restart after a crash) see the old file or the new one, never a part.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(Failure) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw failure(path) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let error = failure(path)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        // The mode given to open() is reduced by the umask; a private file must not end up wider or narrower.
        let syncFailure = fchmod(descriptor, permissions) == 0 && fsync(descriptor) == 0 ? nil : failure(path)
        let closeFailure = close(descriptor) == 0 ? nil : failure(path)
        if let error = syncFailure ?? closeFailure {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(path)
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Syncs the directory holding `path` so the rename itself survives a crash; best effort.
    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ path: String) -> Failure {
        Failure(path: path, reason: String(cString: strerror(errno)).lowercased())
    }
}
