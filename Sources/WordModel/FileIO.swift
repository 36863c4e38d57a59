import ByteKit

/// ByteKit's whole-file reads and atomic writes, with their errors as word-model errors that name the
/// file the caller asked for and errno's words ("no such file or directory").
enum FileIO {
    /// The bytes of the file at `path`.
    static func read(_ path: String) throws(WordModelError) -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch {
            throw .fileFailed(path: error.path, reason: error.reason)
        }
    }

    /// Replaces the file at `path` with `bytes` atomically (mode 0644): readers see the old file or the
    /// new one, never a part.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(WordModelError) {
        do {
            try FileBytes.writeAtomically(bytes, to: path)
        } catch {
            throw .fileFailed(path: error.path, reason: error.reason)
        }
    }
}
