import OpenSSLKit
import WordModel

/// One federation's ML model as a `runtime_models` row holds it (docs/scale.md, "ML mode on the
/// database"): the record `{"type": "ml-model", "model": blob, "validation": [text], "previous": digest}`
/// sealed by `SealedRow` at the place (kind `ml-model`, federation, serial, replica), so every replica
/// of the federation opens what another wrote, and a blob moved to another federation or serial, or
/// whose row names another writer, does not open.
///
/// `previous` (the digest of the row it replaced) is sealed inside as well as kept in its column: a
/// column that says otherwise is refused. `digest` (the SHA-256 of the sealed bytes) is what replicas
/// and the freshness anchor compare.
struct SealedModelRow: Sendable, Equatable {
    /// The record kind, as in the sealed model file of one runtime.
    static let kind = SealedRow.Kind.model.rawValue

    /// The federation whose model it is.
    let federation: String
    /// The training serial: how many changes made this model (uploads and trainings, +1 each).
    let serial: UInt64
    /// The replica that wrote it.
    let replica: String
    /// The digest of the row it replaced (`SealedModelRow.emptyDigest` for the first).
    let previous: [UInt8]
    /// What `SealedRow` sealed.
    let sealed: [UInt8]

    /// The SHA-256 of `sealed`.
    var digest: [UInt8] { Digest.sha256.hash(sealed) }

    /// Where the row is, for the seal and for messages.
    var place: SealedRow.Place { SealedRow.Place(kind: .model, federation: federation, round: serial, voice: [], replica: replica) }

    /// The digest standing for "no model yet" (serial 0): the one the folder store anchors for an empty
    /// state, so a new federation's anchor is the same whichever store begins it.
    static func emptyDigest(federation: String) -> [UInt8] {
        CanonicalState.digest(federation: federation, version: 0, files: [])
    }

    /// A row as read from the database.
    init(federation: String, serial: UInt64, replica: String, previous: [UInt8], sealed: [UInt8]) {
        self.federation = federation
        self.serial = serial
        self.replica = replica
        self.previous = previous
        self.sealed = sealed
    }

    /// Seals `model` with `validation` (if any) with `rows` as row `serial` of `federation`, written by
    /// `replica` after the row of digest `previous`.
    init(
        model: ModelBlob, validation: ValidationSet?, federation: String, serial: UInt64, replica: String, previous: [UInt8], rows: SealedRow
    ) throws(RuntimeError) {
        var record = SealedRecord(kind: Self.kind, fields: ["model": .bytes(model.bytes), "previous": .bytes(previous)])
        if let validation { record.set("validation", validation: validation) }
        self.federation = federation
        self.serial = serial
        self.replica = replica
        self.previous = previous
        sealed = try rows.seal(record.bytes, at: SealedRow.Place(kind: .model, federation: federation, round: serial, voice: [], replica: replica))
    }

    /// The model and validation list in the row; throws `sealed-file-corrupt` naming the row if it does
    /// not open with `rows` (altered in the database, moved, or sealed under another secret), does not
    /// decode, or its `previous` column is not the one sealed inside.
    func open(_ rows: SealedRow) throws(RuntimeError) -> (model: ModelBlob, validation: ValidationSet?) {
        let record = try SealedRecord(bytes: try rows.open(sealed, at: place), kind: Self.kind, path: "\(place)")
        guard try record.optionalBytes("previous") == previous else {
            throw record.corrupt("refused: its previous digest column is not the one sealed in it, so it was altered in the database; not using it")
        }
        return (try record.model("model"), try record.optionalValidation("validation"))
    }
}
