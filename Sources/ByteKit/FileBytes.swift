import Glibc

/// Why a file could not be read or written: the path the caller named, errno's code, and its words.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the caller asked for (never a temporary one).
    public let path: String
    /// What went wrong, e.g. "no such file or directory".
    public let reason: String
    /// The system call's error, for code that reacts to it (ENOENT, EACCES); nil when the file was refused
    /// by a check of our own (its kind, its size).
    public let errno: Errno?

    /// An error about `path` for `reason`, caused by `errno` when a system call failed.
    public init(path: String, reason: String, errno: Errno? = nil) {
        self.path = path
        self.reason = reason
        self.errno = errno
    }

    /// An error about `path` that a system call failed with `errno`, in errno's words.
    public init(path: String, errno: Errno) {
        self.init(path: path, reason: errno.description, errno: errno)
    }

    /// "path: reason".
    public var description: String { "\(path): \(reason)" }

    /// Whether `lhs` and `rhs` name the same path and reason (errno's words are in the reason already).
    public static func == (lhs: FileError, rhs: FileError) -> Bool {
        lhs.path == rhs.path && lhs.reason == rhs.reason
    }

    /// The error that errno describes now, about `path`.
    public static func current(_ path: String) -> FileError {
        FileError(path: path, errno: Errno.current)
    }
}

/// Whole-file reads within a size limit and atomic writes with POSIX calls, for keys, certificates,
/// models and state files.
public enum FileBytes {
    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// The bytes of the regular file at `path`, which may hold at most `limit.bytes`.
    ///
    /// Refuses before allocating anything a file whose size is over the limit, and anything but a regular
    /// file (a device such as /dev/zero or /dev/urandom, a FIFO, a socket, a directory): its size says
    /// nothing and reading it may never end. It also reads at most one byte more than the limit, since
    /// some files (in /proc, configfs) report size 0, and refuses the file if that byte came.
    public static func read(_ path: String, limit: FileSizeLimit) throws(FileError) -> [UInt8] {
        // Non-blocking, so opening a FIFO does not wait for a writer before it can be refused.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .current(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .current(path) }
        let type = status.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw FileError(path: path, reason: "is \(fileTypeName(type)), not a regular file (expected \(limit.kind))")
        }
        guard status.st_size <= limit.bytes else {
            throw FileError(path: path, reason: "is \(status.st_size) bytes, over \(limit)")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: min(1 << 16, limit.bytes + 1))
        while true {
            let wanted = min(chunk.count, limit.bytes + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, wanted)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .current(path) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= limit.bytes else {
                throw FileError(path: path, reason: "holds more than \(limit)")
            }
        }
    }

    /// The regular file at `path` as UTF-8 text, within `limit` (see `read(_:limit:)`).
    public static func readText(_ path: String, limit: FileSizeLimit) throws(FileError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    /// "a character device" for a file type of `st_mode`.
    private static func fileTypeName(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }

    /// Replaces the file at `path` with `bytes` atomically, with permissions `mode` (0600 for secrets).
    ///
    /// A temporary file beside it is created with `mode` from the start (a secret is never readable by
    /// others, not even for a moment), written, synced and renamed over `path`, so readers see the old
    /// file or the new one, never a part.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) throws(FileError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw .current(path) }
        func fail() -> FileError {
            let error = FileError.current(path)
            close(descriptor)
            unlink(temporary)
            return error
        }
        // The umask may have narrowed the mode; set it exactly.
        guard fchmod(descriptor, mode_t(mode)) == 0 else { throw fail() }
        do {
            try writeAll(bytes, to: descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw FileError(path: path, errno: error)
        }
        guard fsync(descriptor) == 0 else { throw fail() }
        guard close(descriptor) == 0 else {
            let error = FileError.current(path)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = FileError.current(path)
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Writes UTF-8 `text` atomically (see `writeAtomically(_:to:mode:)`).
    public static func writeAtomically(text: String, to path: String, mode: UInt32 = 0o644) throws(FileError) {
        try writeAtomically(Array(text.utf8), to: path, mode: mode)
    }

    /// Writes `bytes` into the existing file at `path` (truncating it), in place: for files that cannot
    /// be replaced by a rename, such as a configfs attribute.
    public static func writeInPlace(_ bytes: [UInt8], to path: String) throws(FileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .current(path) }
        do {
            try writeAll(bytes, to: descriptor)
        } catch {
            close(descriptor)
            throw FileError(path: path, errno: error)
        }
        guard close(descriptor) == 0 else { throw .current(path) }
    }

    /// Makes the directory `path` and any missing parents with `mode`; an existing directory is fine.
    ///
    /// `path` itself ends with no permission that `mode` lacks, also if it existed with wider ones (a
    /// state folder made by hand, then given a private key); narrower ones are kept.
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o755) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += prefix.isEmpty || prefix.hasSuffix("/") ? String(component) : "/\(component)"
            if mkdir(prefix, mode_t(mode)) != 0, errno != EEXIST { throw .current(prefix) }
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw .current(path) }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { throw FileError(path: path, reason: "is not a directory") }
        let permissions = UInt32(status.st_mode) & 0o777
        if permissions & ~mode != 0, chmod(path, mode_t(permissions & mode)) != 0 { throw .current(path) }
    }

    /// The permission bits of the file at `path` (e.g. 0o600), or nil if it does not exist.
    public static func permissions(_ path: String) -> UInt32? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt32(status.st_mode) & 0o777
    }

    /// Syncs the directory holding `path` so the rename itself survives a crash; best effort.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
