/// Model blobs on disk: read and validated, or written atomically.
public enum ModelFile {
    /// The model in the blob file at `path` and the blob's bytes; errors start with the path.
    public static func read(_ path: String) throws(WordModelError) -> (model: Model, blob: [UInt8]) {
        let blob = try FileIO.read(path, limit: ModelBlob.maximumFileSize)
        do {
            return (try ModelBlob.decode(blob), blob)
        } catch {
            throw .badFile(path: path, error)
        }
    }

    /// Writes `model` as a blob to `path`, replacing any file there atomically; returns the blob.
    @discardableResult
    public static func write(_ model: Model, to path: String) throws(WordModelError) -> [UInt8] {
        let blob = ModelBlob.encode(model)
        try FileIO.writeAtomically(blob, to: path)
        return blob
    }
}
