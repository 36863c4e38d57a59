public import Channel
public import Logging
import Synchronization
public import WordModel

/// The runtime's current model, kept sealed on disk when an `AnchoredState` is given, so that a restart
/// (even after SIGKILL) brings back the last model that was handed out, and never an older one.
///
/// Each model is a new file `model-<version>.sealed` (docs/freshness.md); the older one is removed once
/// the new one is anchored. The file holds the model blob itself, or, once the provider gave a validation
/// list, the record `{"type": "ml-model", "model": blob, "validation": [text]}`: the list is sealed with
/// every model, so it lives as long as the state does.
public final class ModelStore: ModelKeeper {
    /// Where the model is sealed and anchored (nil: memory only); FL mode keeps its rounds there too.
    public let state: AnchoredState?
    private let held = Mutex<(model: ModelBlob?, validation: ValidationSet?)>((nil, nil))
    private static let recordKind = SealedModelRow.kind

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
        let bytes = try state.readStartFile(file)
        let path = state.sealed.path(of: file.purpose)
        // A bare blob has no "type" (the files of runtimes before validation lists, and without one).
        if SealedRecord.type(of: bytes) == Self.recordKind {
            let record = try SealedRecord(bytes: bytes, kind: Self.recordKind, path: path)
            let restored = (try record.model("model"), try record.optionalValidation("validation"))
            held.withLock { $0 = restored }
            return
        }
        do {
            let restored = try ModelBlob(bytes: bytes)
            held.withLock { $0.model = restored }
        } catch {
            throw RuntimeError(.sealedFileCorrupt, "\(path): the sealed model does not decode: \(error)", cause: error)
        }
    }

    /// The current model, or nil before the first upload.
    public var current: ModelBlob? { held.withLock { $0.model } }

    /// The provider's validation list, or nil if it gave none.
    public var validation: ValidationSet? { held.withLock { $0.validation } }

    /// Makes `stored` the current model once it is sealed on disk, with `validation` as the validation
    /// list (nil: the list held so far), and returns the anchor version to await before acknowledging it
    /// (nil: memory only); if sealing fails, nothing changes.
    ///
    /// One writer at a time (the training queue's worker): the list read here is the one written.
    @discardableResult
    public func replace(with stored: ModelBlob, validation: ValidationSet? = nil) throws(RuntimeError) -> UInt64? {
        let list = validation ?? self.validation
        var bytes = stored.bytes
        if let list {
            var record = SealedRecord(kind: Self.recordKind, fields: ["model": .bytes(stored.bytes)])
            record.set("validation", validation: list)
            bytes = record.bytes
        }
        let version = try state?.write(bytes, as: StateFileName.model(seq:))
        held.withLock { $0 = (stored, list) }
        return version
    }
}

extension ModelStore {
    /// The model held: the folder has one writer, so the one held is the newest.
    public func newest() throws(ChannelError) -> ModelBlob? { current }

    /// Runs `make` on the model held and seals what it makes (`replace`); the ticket is the anchor version.
    public func change<Value>(
        _ what: String, _ make: (_ current: ModelBlob?, _ validation: ValidationSet?) throws(ChannelError) -> ModelChange<Value>
    ) throws(ChannelError) -> (value: Value, ticket: UInt64?) {
        let made = try make(current, validation)
        do {
            return (made.value, try replace(with: made.model, validation: made.validation))
        } catch {
            throw ChannelError(.internal, "the runtime could not store \(what): \(error.message)", cause: error)
        }
    }

    /// Waits for the anchor to hold version `ticket` (nil: memory only, nothing to wait for).
    public func awaitAcknowledged(_ ticket: UInt64?) throws(ChannelError) {
        guard let ticket, let state else { return }
        try state.awaitAnchored(ticket)
    }
}
