/// Model blobs on disk: read and validated, or written atomically.
public enum ModelFile {
    /// The blob in the file at `path`, decoded; errors start with the path.
    public static func read(_ path: String) throws(WordModelError) -> ModelBlob {
        let bytes = try FileIO.read(path, limit: ModelBlob.maximumFileSize)
        do {
            return try ModelBlob(bytes: bytes)
        } catch {
            throw .badFile(path: path, error)
        }
    }

    /// Writes `model` as a blob to `path`, replacing any file there atomically; returns the blob.
    @discardableResult
    public static func write(_ model: Model, to path: String) throws(WordModelError) -> ModelBlob {
        let blob = ModelBlob(model: model)
        try FileIO.writeAtomically(blob.bytes, to: path)
        return blob
    }

    /// Writes `blob` byte for byte as received (its id stays the id of the file) to `path`, replacing
    /// any file there atomically; a folder that does not exist is an error naming the path.
    public static func write(_ blob: ModelBlob, to path: String) throws(WordModelError) {
        try FileIO.writeAtomically(blob.bytes, to: path)
    }
}
