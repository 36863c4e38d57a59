import ByteKit
import CBORKit
import Foundation
public import Protocol
import Synchronization

/// The freshness anchors the certifier keeps for runtimes (docs/freshness.md): per federation, the version
/// and digest of the latest anchored sealed state, in `DIR/anchors/<federation>.anchor`.
///
/// Advances are compare-and-swaps under one lock (one certifier process serves a state folder), each
/// written atomically and synced before it is answered, so an anchor the runtime was told of survives a
/// crash of the certifier.
public final class AnchorStore: Sendable {
    /// The folder of anchor files.
    public let directory: String
    private let lock = Mutex(())
    private static let fileLimit = FileSizeLimit(bytes: 256, kind: "an anchor file")

    /// The anchors in `directory` (made, mode 0700, when the first is written).
    public init(directory: String) {
        self.directory = directory
    }

    /// The anchor of `federation`, or nil if it has none yet; throws naming a file that cannot be read.
    public func read(federation: String) throws(CertifierError) -> AnchorState? {
        try lock.withLock { _ throws(CertifierError) in try load(federation) }
    }

    /// What an advance of `federation` from `from` (nil: create) to `to` did: whether it created the
    /// anchor; throws `.conflict` with what the store holds, or a `CertifierError` if it cannot write.
    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AdvanceError) -> Bool {
        try lock.withLock { _ throws(AdvanceError) -> Bool in
            let stored: AnchorState?
            do throws(CertifierError) {
                stored = try load(federation)
            } catch {
                throw .failed(error)
            }
            switch AnchorState.decide(stored: stored, from: from, to: to) {
            case .alreadyThere:
                return false
            case .conflict(let reason):
                throw .conflict(reason)
            case .apply:
                let bytes = CBOREncoder.encode(.map(["version": .unsigned(to.version), "digest": .bytes(to.digest)]))
                do {
                    try FileBytes.makeDirectory(directory, mode: 0o700)
                    try FileBytes.writeAtomically(bytes, to: path(federation), mode: 0o600)
                } catch {
                    throw .failed(CertifierError(.anchorStoreFailed, "cannot write the anchor of federation \"\(federation)\": \(error)", cause: error))
                }
                return stored == nil
            }
        }
    }

    /// Why an advance was not made.
    public enum AdvanceError: Error, Sendable {
        /// The store holds another anchor than the request's `from`.
        case conflict(String)
        /// The anchor could not be read or written.
        case failed(CertifierError)
    }

    private func path(_ federation: String) -> String { "\(directory)/\(federation).anchor" }

    private func load(_ federation: String) throws(CertifierError) -> AnchorState? {
        let path = path(federation)
        guard FileBytes.exists(path) else { return nil }
        do {
            let value = try CBORDecoder().decode(try FileBytes.read(path, limit: Self.fileLimit))
            guard let map = value.map, let version = map[text: "version"]?.uint64, let digest = map[text: "digest"]?.bytes else {
                throw CertifierError(.anchorStoreFailed, "\(path): not an anchor (a CBOR map of \"version\" and \"digest\")")
            }
            return AnchorState(version: version, digest: digest)
        } catch let error as CertifierError {
            throw error
        } catch {
            throw CertifierError(.anchorStoreFailed, "\(path): \(error)", cause: error)
        }
    }
}
