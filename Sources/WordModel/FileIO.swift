import Foundation

/// Whole-file reads and atomic writes with POSIX calls, so errors carry errno's words
/// ("no such file or directory") rather than Foundation's generic ones.
enum FileIO {
    /// The bytes of the file at `path`.
    static func read(_ path: String) throws(WordModelError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(path) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw .fileFailed(path: path, reason: "is a directory") }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(path) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Replaces the file at `path` with `bytes` atomically: a temporary file beside it is written,
    /// synced and renamed over `path`, so readers see the old file or the new one, never a part.
    /// Errors name `path`, the file the caller asked for, not the temporary one.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(WordModelError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
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
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            let error = failure(path)
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
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ path: String) -> WordModelError {
        .fileFailed(path: path, reason: String(cString: strerror(errno)).lowercased())
    }
}
