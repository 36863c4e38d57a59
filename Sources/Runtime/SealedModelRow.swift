import ByteKit
import CBORKit
import OpenSSLKit
import WordModel

/// One federation's ML model as a `runtime_models` row holds it (docs/scale.md, "ML mode on the
/// database"): the record `{"type": "ml-model", "model": blob, "validation": [text]}` sealed with
/// AES-256-GCM under a key derived from the sealing secret the certifier releases to every admitted
/// runtime, so every replica of the federation can open what another wrote.
///
/// The associated data binds the kind, the federation, the serial, the replica that wrote it and the
/// digest of the row it replaced: a blob moved to another federation or serial, or whose row names
/// another writer or predecessor, does not open. `digest` (the SHA-256 of the sealed bytes) is what
/// replicas and the freshness anchor compare.
struct SealedModelRow: Sendable, Equatable {
    /// The record kind, as in the sealed model file of one runtime.
    static let kind = "ml-model"

    /// The federation whose model it is.
    let federation: String
    /// The training serial: how many changes made this model (uploads and trainings, +1 each).
    let serial: UInt64
    /// The replica that wrote it.
    let replica: String
    /// The digest of the row it replaced (`SealedModelRow.emptyDigest` for the first).
    let previous: [UInt8]
    /// `nonce || ciphertext || tag`.
    let sealed: [UInt8]

    /// The SHA-256 of `sealed`.
    var digest: [UInt8] { Digest.sha256.hash(sealed) }

    /// "federation F serial N (written by replica R)", for messages.
    var name: String { "federation \"\(federation)\" serial \(serial) (written by replica \(replica))" }

    /// The digest standing for "no model yet" (serial 0): the one the folder store anchors for an empty
    /// state, so a new federation's anchor is the same whichever store begins it.
    static func emptyDigest(federation: String) -> [UInt8] {
        CanonicalState.digest(federation: federation, version: 0, files: [])
    }

    /// The AES-256 key for rows, derived from the runtime's sealing secret (apart from the folder's key).
    static func key(sealingSecret: [UInt8]) throws(RuntimeError) -> [UInt8] {
        guard sealingSecret.count >= SealedStore.minimumSecretSize else {
            throw RuntimeError(
                .sealingKeyUnusable, "the sealing secret has \(sealingSecret.count) bytes, at least \(SealedStore.minimumSecretSize) are needed")
        }
        do {
            return try HKDF.deriveKey(
                secret: sealingSecret, salt: Array("cml-runtime".utf8), info: Array("database rows v1".utf8), count: AESGCM.keySize)
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "deriving the database sealing key failed: \(error)", cause: error)
        }
    }

    /// A row as read from the database.
    init(federation: String, serial: UInt64, replica: String, previous: [UInt8], sealed: [UInt8]) {
        self.federation = federation
        self.serial = serial
        self.replica = replica
        self.previous = previous
        self.sealed = sealed
    }

    /// Seals `model` with `validation` (if any) as row `serial` of `federation`, written by `replica`
    /// after the row of digest `previous`.
    init(
        model: ModelBlob, validation: ValidationSet?, federation: String, serial: UInt64, replica: String, previous: [UInt8], key: [UInt8]
    ) throws(RuntimeError) {
        var record = SealedRecord(kind: Self.kind, fields: ["model": .bytes(model.bytes)])
        if let validation { record.set("validation", validation: validation) }
        self.federation = federation
        self.serial = serial
        self.replica = replica
        self.previous = previous
        do {
            sealed = try AESGCM.seal(record.bytes, key: key, authenticating: Self.associatedData(federation, serial, replica, previous))
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "sealing the model of federation \"\(federation)\" serial \(serial) failed: \(error)", cause: error)
        }
    }

    /// The model and validation list in the row; throws `sealed-file-corrupt` naming the row if it does
    /// not authenticate under `key` (altered in the database, moved, or sealed under another secret) or
    /// does not decode.
    func open(key: [UInt8]) throws(RuntimeError) -> (model: ModelBlob, validation: ValidationSet?) {
        let plaintext: [UInt8]
        do {
            plaintext = try AESGCM.open(sealed, key: key, authenticating: Self.associatedData(federation, serial, replica, previous))
        } catch {
            throw RuntimeError(
                .sealedFileCorrupt, "the database row of \(name) is refused: it does not authenticate under this runtime's sealing key, so it was "
                    + "altered in the database (its model, serial, replica or previous digest), or sealed under another key; not using it",
                cause: error)
        }
        let record = try SealedRecord(bytes: plaintext, kind: Self.kind, path: "the database row of \(name)")
        return (try record.model("model"), try record.optionalValidation("validation"))
    }

    private static func associatedData(_ federation: String, _ serial: UInt64, _ replica: String, _ previous: [UInt8]) -> [UInt8] {
        CBOREncoder.encode(.array([.text(kind), .text(federation), .unsigned(serial), .text(replica), .bytes(previous)]))
    }
}
