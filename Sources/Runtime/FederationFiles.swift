import Foundation
import WordModel

/// The federation's sealed files (docs/fl.md): the published global model of the open round, and one
/// file per stored update of that round, each named with the anchor version it belongs to
/// (docs/freshness.md).
///
/// ```
/// DIR/sealed/global-<round>-<seq>.sealed             {"round", "opened" (Unix ms), "model": blob}
/// DIR/sealed/update-<round>-<serial>-<seq>.sealed    {"round", "serial", "platform" (hex, when the device
///                                                      certificate names one), "samples", "model": blob}
/// ```
///
/// Each is a `SealedStore` file, so the purpose (the file name) is authenticated with its contents: an
/// update cannot be passed off as another device's, another round's or another version's. Every write is
/// atomic and synced; `AnchoredState` removes the files that an anchored state no longer needs.
struct FederationFiles: Sendable {
    /// The record kinds of the two files.
    private static let globalKind = "fl-global"
    private static let updateKind = "fl-update"

    /// What the global file holds.
    struct Global: Sendable {
        let round: UInt64
        let openedAt: Date
        let model: ModelBlob
    }

    /// What a restart finds: the open round's global model and its stored updates.
    struct Recovered: Sendable {
        let global: Global?
        let updates: [AcceptedUpdate]
    }

    let state: AnchoredState

    var sealed: SealedStore { state.sealed }

    /// Seals the global model of `round`, opened at `openedAt`, as a new file; returns its anchor version.
    func writeGlobal(_ global: Global) throws(RuntimeError) -> UInt64 {
        let record = SealedRecord(
            kind: Self.globalKind,
            fields: [
                "round": .unsigned(global.round),
                "opened": .unsigned(UInt64(max(0, global.openedAt.timeIntervalSince1970 * 1000).rounded())),
                "model": .bytes(global.model.bytes),
            ])
        return try state.write(record.bytes) { .global(round: global.round, seq: $0) }
    }

    /// Seals an update of `round`; returns its anchor version.
    func writeUpdate(_ update: AcceptedUpdate, round: UInt64) throws(RuntimeError) -> UInt64 {
        var record = SealedRecord(
            kind: Self.updateKind,
            fields: [
                "round": .unsigned(round), "serial": .text(update.serial), "samples": .unsigned(update.samples),
                "model": .bytes(update.blob.bytes),
            ])
        // The platform, so that a restart counts the round's updates per platform as before it.
        if let platform = update.platform { record.set("platform", .text(platform)) }
        return try state.write(record.bytes) { .update(round: round, serial: update.serial, seq: $0) }
    }

    /// Reads the state a restart resumes from: the global model and the updates of its round at the
    /// anchored version, which `AnchoredState` checked against the anchor. Throws if any file does not
    /// authenticate or decode: the runtime must not start on state it cannot trust.
    func recover() throws(RuntimeError) -> Recovered {
        let files = state.startFiles
        let global = try files.first { $0.kind == .global }.map { (name) throws(RuntimeError) in try readGlobal(name) }
        var updates: [AcceptedUpdate] = []
        for name in files where name.kind == .update {
            updates.append(try readUpdate(name))
        }
        return Recovered(global: global, updates: updates)
    }

    private func readGlobal(_ name: StateFileName) throws(RuntimeError) -> Global {
        let record = try read(name, kind: Self.globalKind)
        let round = try record.unsigned("round")
        guard round == name.round else { throw record.corrupt("its round is not the one its name says") }
        let opened = try record.unsigned("opened")
        return Global(round: round, openedAt: Date(timeIntervalSince1970: Double(opened) / 1000), model: try record.model("model"))
    }

    private func readUpdate(_ name: StateFileName) throws(RuntimeError) -> AcceptedUpdate {
        let record = try read(name, kind: Self.updateKind)
        let serial = try record.text("serial")
        guard try record.unsigned("round") == name.round, serial == name.serial else {
            throw record.corrupt("its round and serial are not the ones its name says")
        }
        return AcceptedUpdate(
            serial: serial, platform: try record.optionalText("platform"), blob: try record.model("model"),
            samples: try record.unsigned("samples"))
    }

    private func read(_ name: StateFileName, kind: String) throws(RuntimeError) -> SealedRecord {
        let bytes = try state.readStartFile(name)
        return try SealedRecord(bytes: bytes, kind: kind, path: sealed.path(of: name.purpose))
    }
}
