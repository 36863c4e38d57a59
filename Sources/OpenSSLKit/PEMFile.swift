public import ByteKit

/// PEM files on disk: keys, certificates and certificate chains.
public enum PEMFile {
    /// The largest PEM file read: 1 MiB, room for a chain of hundreds of certificates; a key is ~300 bytes.
    public static let maximumSize = FileSizeLimit(bytes: 1 << 20, kind: "a PEM key or certificate")

    /// The text of the PEM file at `path`, within `maximumSize`; errors name the file.
    public static func read(_ path: String) throws(FileError) -> String {
        try FileBytes.readText(path, limit: maximumSize)
    }
}
