import Synchronization
public import WordModel

/// The runtime's current model, kept sealed on disk when a `SealedStore` is given, so that a restart
/// (even after SIGKILL) brings back the last model that was handed out.
public final class ModelStore: Sendable {
    /// The sealed file's purpose (and name): `model.sealed`.
    public static let purpose = "model"

    /// Where the model is sealed (nil: memory only); FL mode keeps its rounds there too.
    public let sealed: SealedStore?
    private let model = Mutex<ModelBlob?>(nil)

    /// A store persisting to `sealed` (nil: memory only), restoring the model sealed there, if any.
    ///
    /// Throws if the sealed model is refused (changed, sealed under another key) or no longer decodes:
    /// the runtime must not start on state it cannot trust.
    public init(sealed: SealedStore?) throws(RuntimeError) {
        self.sealed = sealed
        guard let sealed, let blob = try sealed.read(purpose: Self.purpose) else { return }
        do {
            let restored = try ModelBlob(bytes: blob)
            model.withLock { $0 = restored }
        } catch {
            throw RuntimeError("\(sealed.path(of: Self.purpose)): the sealed model does not decode: \(error)")
        }
    }

    /// The current model, or nil before the first upload.
    public var current: ModelBlob? { model.withLock { $0 } }

    /// Makes `stored` the current model once it is sealed on disk; if sealing fails, nothing changes.
    public func replace(with stored: ModelBlob) throws(RuntimeError) {
        try sealed?.write(stored.bytes, purpose: Self.purpose)
        model.withLock { $0 = stored }
    }
}
