public import ByteKit
import Foundation
import Glibc
import Synchronization

/// The certifier's audit log: one JSON line per decision or event, appended to a file (`DIR/audit.jsonl`).
///
/// The file is opened with O_APPEND and each line goes out in one locked `write` loop followed by an
/// fsync, so lines from many threads never interleave, another process appending to the same file cannot
/// split one, and a line the certifier acted on survives a crash. O_APPEND also makes logrotate's
/// `copytruncate` safe: after the truncation the next line lands at offset 0, with no hole before it.
///
/// The log rotates itself by size (see `Rotation`), and `reopen()` starts a new file at `path` after
/// an outside rotation moved the old one (logrotate without `copytruncate`, then SIGHUP).
public final class AuditLog: Sendable {
    /// When the log rotates itself, and how many old files it keeps.
    public struct Rotation: Sendable, Equatable {
        /// A line that would take the file beyond this many bytes first moves it to `PATH.1`.
        public let maximumBytes: Int
        /// How many old files are kept: `PATH.1` (the newest) to `PATH.N`; the oldest beyond is deleted.
        public let keep: Int

        /// Rotation at `maximumBytes` (at least 1), keeping `keep` old files (0 to 1000).
        public init(maximumBytes: Int, keep: Int) throws(CertifierError) {
            guard maximumBytes >= 1 else { throw CertifierError(.invalidSetting, "the audit log's size limit is \(maximumBytes) bytes; it must be at least 1") }
            guard (0...1000).contains(keep) else { throw CertifierError(.invalidSetting, "keeping \(keep) old audit logs: give 0 to 1000") }
            self.maximumBytes = maximumBytes
            self.keep = keep
        }

        /// 64 MiB (what `read(path:)` reads whole), 5 old files: at most 384 MiB on disk.
        public static let standard = Rotation(uncheckedBytes: 64 << 20, keep: 5)

        private init(uncheckedBytes: Int, keep: Int) {
            self.maximumBytes = uncheckedBytes
            self.keep = keep
        }
    }

    /// The file it appends to.
    public let path: String
    /// When it rotates.
    public let rotation: Rotation
    private let descriptor: Mutex<Int32>

    /// Opens (creating with mode 0600) the log at `path`, rotating as `rotation` says.
    public init(path: String, rotation: Rotation = .standard) throws(CertifierError) {
        self.path = path
        self.rotation = rotation
        self.descriptor = Mutex(try Self.open(path))
    }

    deinit {
        descriptor.withLock { _ = close($0) }
    }

    private static func open(_ path: String) throws(CertifierError) -> Int32 {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CertifierError(.auditLogFailed, "cannot open the audit log: \(FileError.current(path))")
        }
        return descriptor
    }

    /// Appends `entry` as one line, synced to disk; throws if the line could not be written whole.
    public func append(_ entry: AuditEntry) throws(CertifierError) {
        let line = try entry.jsonBytes() + [UInt8(ascii: "\n")]
        let failure: CertifierError? = descriptor.withLock { descriptor in
            do throws(CertifierError) {
                try rotateIfFull(&descriptor, adding: line.count)
            } catch {
                return error
            }
            do throws(Errno) {
                try FileBytes.writeAll(line, to: descriptor)
                // fdatasync: the data and the file's new size, which is what a reader needs after a crash.
                guard fdatasync(descriptor) == 0 else { throw Errno.current }
                return nil
            } catch {
                return CertifierError(.auditLogFailed, "cannot append to the audit log: \(FileError(path: path, reason: error.description))", cause: error)
            }
        }
        if let failure { throw failure }
    }

    /// Closes the file and opens `path` again, creating it if an outside rotation moved it away; on
    /// failure the old file stays open and in use.
    public func reopen() throws(CertifierError) {
        let fresh = try Self.open(path)
        descriptor.withLock { descriptor in
            _ = close(descriptor)
            descriptor = fresh
        }
    }

    /// Moves the file to `PATH.1` (shifting the older ones, dropping the one beyond `keep`) and opens a
    /// new one, when `count` more bytes would take a non-empty file beyond the limit. The size is read
    /// from the open file each time, so a truncation from outside (copytruncate) is seen.
    private func rotateIfFull(_ descriptor: inout Int32, adding count: Int) throws(CertifierError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CertifierError(.auditLogFailed, "cannot read the size of the audit log: \(FileError(path: path, reason: Errno.current.description))")
        }
        let size = Int(status.st_size)
        guard size > 0, size + count > rotation.maximumBytes else { return }
        if rotation.keep == 0 {
            unlink(path)
        } else {
            for number in stride(from: rotation.keep - 1, through: 1, by: -1) {
                // An old file that is not there (fewer rotations so far) is nothing to move.
                _ = rename("\(path).\(number)", "\(path).\(number + 1)")
            }
            guard rename(path, "\(path).1") == 0 else {
                throw CertifierError(.auditLogFailed, "cannot rotate the audit log to \(path).1: \(FileError(path: path, reason: Errno.current.description))")
            }
        }
        let fresh = try Self.open(path)
        _ = close(descriptor)
        descriptor = fresh
    }

    /// The largest log `read(path:)` reads: 64 MiB, some 200,000 decisions; a longer one is refused, naming the limit.
    public static let maximumFileSize = FileSizeLimit(bytes: 64 << 20, kind: "an audit log")

    /// Every entry of the log at `path`, in order; a line that is not an entry is an error naming its number.
    public static func read(path: String) throws(CertifierError) -> [AuditEntry] {
        let text: String
        do {
            text = try FileBytes.readText(path, limit: maximumFileSize)
        } catch {
            throw CertifierError(.auditLogFailed, "cannot read the audit log: \(error)", cause: error)
        }
        var entries: [AuditEntry] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            do {
                entries.append(try JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8)))
            } catch {
                throw CertifierError(.auditLogFailed, "\(path): line \(index + 1) is not an audit entry", cause: error)
            }
        }
        return entries
    }
}
