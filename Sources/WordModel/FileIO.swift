import ByteKit

/// Whole-file reads and atomic writes (ByteKit's `FileBytes`), with failures as `WordModelError`.
enum FileIO {
    /// The bytes of the regular file at `path`, at most `limit` (see `FileBytes.read(_:limit:)`).
    static func read(_ path: String, limit: FileSizeLimit) throws(WordModelError) -> [UInt8] {
        do {
            return try FileBytes.read(path, limit: limit)
        } catch {
            throw .fileFailed(path: error.path, reason: error.reason)
        }
    }

    /// Replaces the file at `path` with `bytes` atomically (see `FileBytes.writeAtomically`).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(WordModelError) {
        do {
            try FileBytes.writeAtomically(bytes, to: path)
        } catch {
            throw .fileFailed(path: error.path, reason: error.reason)
        }
    }
}
