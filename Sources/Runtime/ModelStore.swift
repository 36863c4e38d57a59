public import Logging
import Synchronization
public import WordModel

/// The runtime's current model, kept sealed on disk when an `AnchoredState` is given, so that a restart
/// (even after SIGKILL) brings back the last model that was handed out, and never an older one.
///
/// Each model is a new file `model-<version>.sealed` (docs/freshness.md); the older one is removed once
/// the new one is anchored.
public final class ModelStore: Sendable {
    /// Where the model is sealed and anchored (nil: memory only); FL mode keeps its rounds there too.
    public let state: AnchoredState?
    private let model = Mutex<ModelBlob?>(nil)

    /// A store persisting to `sealed` without a freshness anchor (rollback goes undetected), restoring the
    /// model sealed there; nil: memory only.
    public convenience init(sealed: SealedStore?, federation: String = "default", logger: Logger = Logger(label: "runtime")) throws(RuntimeError) {
        try self.init(state: try sealed.map { (sealed) throws(RuntimeError) in
            try AnchoredState(sealed: sealed, federation: federation, anchor: nil, logger: logger)
        })
    }

    /// A store persisting to `state` (nil: memory only), restoring the model of its anchored version, if any.
    ///
    /// Throws if the sealed model is refused (changed, sealed under another key) or no longer decodes:
    /// the runtime must not start on state it cannot trust.
    public init(state: AnchoredState?) throws(RuntimeError) {
        self.state = state
        guard let state, let file = state.startFiles.first(where: { $0.kind == .model }) else { return }
        let blob = try state.readStartFile(file)
        do {
            let restored = try ModelBlob(bytes: blob)
            model.withLock { $0 = restored }
        } catch {
            throw RuntimeError(.sealedFileCorrupt, "\(state.sealed.path(of: file.purpose)): the sealed model does not decode: \(error)", cause: error)
        }
    }

    /// The current model, or nil before the first upload.
    public var current: ModelBlob? { model.withLock { $0 } }

    /// Makes `stored` the current model once it is sealed on disk, and returns the anchor version to await
    /// before acknowledging it (nil: memory only); if sealing fails, nothing changes.
    @discardableResult
    public func replace(with stored: ModelBlob) throws(RuntimeError) -> UInt64? {
        let version = try state?.write(stored.bytes, as: StateFileName.model(seq:))
        model.withLock { $0 = stored }
        return version
    }
}
