import Foundation
import WordModel

/// The federation's sealed files (docs/fl.md): the published global model of the open round, and one
/// file per stored update of that round.
///
/// ```
/// DIR/sealed/federation.sealed                 {"round", "opened" (Unix ms), "model": blob}
/// DIR/sealed/update-<round>-<serial>.sealed    {"round", "serial", "platform" (hex, when the device
///                                               certificate names one), "samples", "model": blob}
/// ```
///
/// Each is a `SealedStore` file, so the purpose (the file name) is authenticated with its contents: an
/// update cannot be passed off as another device's or another round's. Every write is atomic and synced.
struct FederationFiles: Sendable {
    /// The global model's purpose.
    static let globalPurpose = "federation"
    /// The record kinds of the two files.
    private static let globalKind = "fl-global"
    private static let updateKind = "fl-update"
    private static let updatePrefix = "update-"

    /// What the global file holds.
    struct Global: Sendable {
        let round: UInt64
        let openedAt: Date
        let model: ModelBlob
    }

    /// What a restart finds: the open round's global model and its stored updates, and how many stale
    /// files of closed rounds or unfinished writes it removed.
    struct Recovered: Sendable {
        let global: Global?
        let updates: [AcceptedUpdate]
        let removedStale: Int
    }

    let sealed: SealedStore

    /// Seals the global model of `round`, opened at `openedAt`, replacing the previous one atomically.
    func writeGlobal(_ global: Global) throws(RuntimeError) {
        let record = SealedRecord(
            kind: Self.globalKind,
            fields: [
                "round": .unsigned(global.round),
                "opened": .unsigned(UInt64(max(0, global.openedAt.timeIntervalSince1970 * 1000).rounded())),
                "model": .bytes(global.model.bytes),
            ])
        try sealed.write(record.bytes, purpose: Self.globalPurpose)
    }

    /// Seals an update of `round`.
    func writeUpdate(_ update: AcceptedUpdate, round: UInt64) throws(RuntimeError) {
        var record = SealedRecord(
            kind: Self.updateKind,
            fields: [
                "round": .unsigned(round), "serial": .text(update.serial), "samples": .unsigned(update.samples),
                "model": .bytes(update.blob.bytes),
            ])
        // The platform, so that a restart counts the round's updates per platform as before it.
        if let platform = update.platform { record.set("platform", .text(platform)) }
        try sealed.write(record.bytes, purpose: Self.updatePurpose(round: round, serial: update.serial))
    }

    /// Removes the stored update of `serial` in `round`.
    func removeUpdate(round: UInt64, serial: String) {
        sealed.remove(purpose: Self.updatePurpose(round: round, serial: serial))
    }

    /// Removes every stored update of `round`.
    func removeUpdates(round: UInt64) throws(RuntimeError) {
        for purpose in try sealed.purposes() where Self.round(ofUpdate: purpose) == round {
            sealed.remove(purpose: purpose)
        }
    }

    /// Reads the state a restart resumes from: the global model, the updates of its round, nothing else.
    /// Updates of other rounds (closed before the crash: their aggregate is published) and unfinished
    /// writes are removed. Throws if any file does not authenticate or decode: the runtime must not
    /// start on state it cannot trust.
    func recover() throws(RuntimeError) -> Recovered {
        var removed = try sealed.removeUnfinishedWrites()
        let global = try readGlobal()
        var updates: [AcceptedUpdate] = []
        for purpose in try sealed.purposes() {
            guard let round = Self.round(ofUpdate: purpose) else { continue }
            guard let global, round == global.round else {
                sealed.remove(purpose: purpose)
                removed += 1
                continue
            }
            updates.append(try readUpdate(purpose: purpose, round: round))
        }
        return Recovered(global: global, updates: updates, removedStale: removed)
    }

    private func readGlobal() throws(RuntimeError) -> Global? {
        guard let record = try read(purpose: Self.globalPurpose, kind: Self.globalKind) else { return nil }
        let round = try record.unsigned("round")
        let opened = try record.unsigned("opened")
        return Global(round: round, openedAt: Date(timeIntervalSince1970: Double(opened) / 1000), model: try record.model("model"))
    }

    private func readUpdate(purpose: String, round: UInt64) throws(RuntimeError) -> AcceptedUpdate {
        guard let record = try read(purpose: purpose, kind: Self.updateKind) else {
            throw RuntimeError("\(sealed.path(of: purpose)) disappeared while the runtime read it")
        }
        let serial = try record.text("serial")
        guard try record.unsigned("round") == round, Self.updatePurpose(round: round, serial: serial) == purpose else {
            throw record.corrupt("its round and serial are not the ones its name says")
        }
        return AcceptedUpdate(
            serial: serial, platform: try record.optionalText("platform"), blob: try record.model("model"),
            samples: try record.unsigned("samples"))
    }

    private func read(purpose: String, kind: String) throws(RuntimeError) -> SealedRecord? {
        guard let bytes = try sealed.read(purpose: purpose) else { return nil }
        return try SealedRecord(bytes: bytes, kind: kind, path: sealed.path(of: purpose))
    }

    static func updatePurpose(round: UInt64, serial: String) -> String {
        "\(updatePrefix)\(round)-\(serial)"
    }

    /// The round in an update file's purpose, or nil if `purpose` is not an update's.
    static func round(ofUpdate purpose: String) -> UInt64? {
        guard purpose.hasPrefix(updatePrefix) else { return nil }
        return UInt64(purpose.dropFirst(updatePrefix.count).prefix { $0 != "-" })
    }
}
