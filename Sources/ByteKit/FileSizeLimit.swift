/// The largest file of one kind that a reader accepts, and the kind's name for errors; each format
/// defines its own once, next to its code (e.g. `ModelBlob.maximumFileSize`).
///
/// Every file read has one, because the host is not trusted: a 40 GB sparse file or `/dev/zero` given
/// as a model must be refused, not allocated.
public struct FileSizeLimit: Sendable, Hashable, CustomStringConvertible {
    /// The most bytes a file of this kind may have.
    public let bytes: Int
    /// What the file holds, for errors: "a model blob", "a PEM file".
    public let kind: String

    /// A limit of `bytes` for files holding `kind`.
    public init(bytes: Int, kind: String) {
        precondition(bytes >= 0 && bytes < Int.max, "a file size limit must be between 0 and Int.max - 1")
        self.bytes = bytes
        self.kind = kind
    }

    /// "the limit of 1048576 bytes for a model blob".
    public var description: String { "the limit of \(bytes) bytes for \(kind)" }
}
