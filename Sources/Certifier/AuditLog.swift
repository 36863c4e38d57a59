public import ByteKit
import Foundation
import Synchronization

/// The certifier's audit log: one JSON line per decision, appended to a file (`DIR/audit.jsonl`).
///
/// The file is opened once with O_APPEND and each line goes out in one locked `write` loop, so lines
/// from many threads never interleave, and another process appending to the same file cannot split one.
public final class AuditLog: Sendable {
    /// The file it appends to.
    public let path: String
    private let descriptor: Mutex<Int32>

    /// Opens (creating with mode 0600) the log at `path`.
    public init(path: String) throws(CertifierError) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CertifierError("cannot open the audit log: \(FileError.current(path))")
        }
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        descriptor.withLock { _ = close($0) }
    }

    /// Appends `entry` as one line; throws if the line could not be written whole.
    public func append(_ entry: AuditEntry) throws(CertifierError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line: [UInt8]
        do {
            line = Array(try encoder.encode(entry)) + [UInt8(ascii: "\n")]
        } catch {
            throw CertifierError("cannot encode an audit entry: \(error)")
        }
        let failure: Errno? = descriptor.withLock { descriptor in
            do throws(Errno) {
                try FileBytes.writeAll(line, to: descriptor)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw CertifierError("cannot append to the audit log: \(FileError(path: path, reason: failure.description))") }
    }

    /// The largest log `read(path:)` reads: 64 MiB, some 200,000 decisions; a longer one is refused, naming the limit.
    public static let maximumFileSize = FileSizeLimit(bytes: 64 << 20, kind: "an audit log")

    /// Every entry of the log at `path`, in order; a line that is not an entry is an error naming its number.
    public static func read(path: String) throws(CertifierError) -> [AuditEntry] {
        let text: String
        do {
            text = try FileBytes.readText(path, limit: maximumFileSize)
        } catch {
            throw CertifierError("cannot read the audit log: \(error)")
        }
        var entries: [AuditEntry] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            do {
                entries.append(try JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8)))
            } catch {
                throw CertifierError("\(path): line \(index + 1) is not an audit entry")
            }
        }
        return entries
    }
}
