import Foundation
import WordModel

/// The federation's sealed files (docs/fl.md): the published global model of the open round, and one
/// file per stored update of that round, each named with the anchor version it belongs to
/// (docs/freshness.md).
///
/// ```
/// DIR/sealed/global-<round>-<seq>.sealed             {"round", "opened" (Unix ms), "model": blob,
///                                                      "private-rounds" (under fl.privacy: rounds released),
///                                                      "validation": [text] (the provider's validation list)}
/// DIR/sealed/update-<round>-<serial>-<seq>.sealed    {"round", "serial", "platform" (hex, when the device
///                                                      certificate names one), "samples", "model": blob,
///                                                      "loss" (when the device reported one)}
///                                                     or, type "fl-not-sampled": {"round", "serial", "platform"}
/// ```
///
/// A not-sampled record keeps a Poisson sampling decision of the open round (fl.privacy), so a restart
/// does not draw again for a device that was left out. `private-rounds` is the spent privacy budget:
/// being in the anchored state, it can be neither rolled back nor reset by a restart or a new binary.
///
/// Each is a `SealedStore` file, so the purpose (the file name) is authenticated with its contents: an
/// update cannot be passed off as another device's, another round's or another version's. Every write is
/// atomic and synced; `AnchoredState` removes the files that an anchored state no longer needs.
struct FederationFiles: Sendable {
    /// The record kinds of the two files.
    private static let globalKind = "fl-global"
    private static let updateKind = "fl-update"
    private static let notSampledKind = "fl-not-sampled"

    /// What the global file holds.
    struct Global: Sendable {
        let round: UInt64
        let openedAt: Date
        let model: ModelBlob
        /// The rounds released under DP-FedAvg up to this model.
        var privateRounds: UInt64 = 0
        /// The provider's validation list, carried from each global model to the next; nil if none.
        var validation: ValidationSet? = nil
    }

    /// What a restart finds: the open round's global model, its stored updates and the voices sampling
    /// left out of it.
    struct Recovered: Sendable {
        let global: Global?
        let updates: [AcceptedUpdate]
        let notSampled: [(serial: String, platform: String?)]
    }

    let state: AnchoredState

    var sealed: SealedStore { state.sealed }

    /// Seals the global model of `round`, opened at `openedAt`, as a new file; returns its anchor version.
    func writeGlobal(_ global: Global) throws(RuntimeError) -> UInt64 {
        var record = SealedRecord(
            kind: Self.globalKind,
            fields: [
                "round": .unsigned(global.round),
                "opened": .unsigned(UInt64(max(0, global.openedAt.timeIntervalSince1970 * 1000).rounded())),
                "model": .bytes(global.model.bytes),
                "private-rounds": .unsigned(global.privateRounds),
            ])
        // Absent without one, so the files of a federation without a validation list are as before.
        if let validation = global.validation { record.set("validation", validation: validation) }
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
        // For the round's mean loss, also after a restart; absent when the device reported none.
        if let loss = update.loss { record.set("loss", .float(loss)) }
        return try state.write(record.bytes) { .update(round: round, serial: update.serial, seq: $0) }
    }

    /// Seals that Poisson sampling left device `serial` (platform `platform`, hex) out of `round`;
    /// returns its anchor version.
    func writeNotSampled(round: UInt64, serial: String, platform: String?) throws(RuntimeError) -> UInt64 {
        var record = SealedRecord(kind: Self.notSampledKind, fields: ["round": .unsigned(round), "serial": .text(serial)])
        if let platform { record.set("platform", .text(platform)) }
        return try state.write(record.bytes) { .update(round: round, serial: serial, seq: $0) }
    }

    /// Reads the state a restart resumes from: the global model and the updates of its round at the
    /// anchored version, which `AnchoredState` checked against the anchor. Throws if any file does not
    /// authenticate or decode: the runtime must not start on state it cannot trust.
    func recover() throws(RuntimeError) -> Recovered {
        let files = state.startFiles
        let global = try files.first { $0.kind == .global }.map { (name) throws(RuntimeError) in try readGlobal(name) }
        var updates: [AcceptedUpdate] = []
        var notSampled: [(serial: String, platform: String?)] = []
        for name in files where name.kind == .update {
            let bytes = try readBytes(name)
            if SealedRecord.type(of: bytes) == Self.notSampledKind {
                let record = try SealedRecord(bytes: bytes, kind: Self.notSampledKind, path: sealed.path(of: name.purpose))
                let serial = try record.text("serial")
                guard try record.unsigned("round") == name.round, serial == name.serial else {
                    throw record.corrupt("its round and serial are not the ones its name says")
                }
                notSampled.append((serial, try record.optionalText("platform")))
            } else {
                updates.append(try readUpdate(name, bytes: bytes))
            }
        }
        return Recovered(global: global, updates: updates, notSampled: notSampled)
    }

    private func readGlobal(_ name: StateFileName) throws(RuntimeError) -> Global {
        let record = try read(name, kind: Self.globalKind)
        let round = try record.unsigned("round")
        guard round == name.round else { throw record.corrupt("its round is not the one its name says") }
        let opened = try record.unsigned("opened")
        // Absent from the files of runtimes before fl.privacy: no round was released under it.
        let privateRounds = try record.optionalUnsigned("private-rounds") ?? 0
        return Global(
            round: round, openedAt: Date(timeIntervalSince1970: Double(opened) / 1000), model: try record.model("model"),
            privateRounds: privateRounds, validation: try record.optionalValidation("validation"))
    }

    private func readUpdate(_ name: StateFileName, bytes: [UInt8]) throws(RuntimeError) -> AcceptedUpdate {
        let record = try SealedRecord(bytes: bytes, kind: Self.updateKind, path: sealed.path(of: name.purpose))
        let serial = try record.text("serial")
        guard try record.unsigned("round") == name.round, serial == name.serial else {
            throw record.corrupt("its round and serial are not the ones its name says")
        }
        // "loss" is absent from the files of runtimes before it, and of devices that report none.
        return AcceptedUpdate(
            serial: serial, platform: try record.optionalText("platform"), blob: try record.model("model"),
            samples: try record.unsigned("samples"), loss: try record.optionalDouble("loss"))
    }

    private func read(_ name: StateFileName, kind: String) throws(RuntimeError) -> SealedRecord {
        try SealedRecord(bytes: try readBytes(name), kind: kind, path: sealed.path(of: name.purpose))
    }

    /// The bytes of `name` as the start checked them against the anchor (never a file swapped in since).
    private func readBytes(_ name: StateFileName) throws(RuntimeError) -> [UInt8] {
        try state.readStartFile(name)
    }
}
