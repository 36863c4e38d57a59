import CBORKit
import OpenSSLKit

/// Which files make the sealed state at an anchor version, and the digest the certifier anchors
/// (docs/freshness.md, "Canonical state").
///
/// S_v is the newest base file (the model, or the global model of the highest round) among the files of
/// version at most v, plus the updates of that base's round of version at most v. Every other file of
/// version at most v is garbage: deleting it changes nothing.
enum CanonicalState {
    /// The files of S_`version` among `names`, sorted by purpose.
    static func files(_ names: some Sequence<StateFileName>, at version: UInt64) -> [StateFileName] {
        let eligible = names.filter { $0.seq <= version }
        // Highest round first, then highest version: a put-model before round 0's first update rewrites round 0.
        guard let base = eligible.filter({ $0.kind != .update }).max(by: { ($0.round, $0.seq) < ($1.round, $1.seq) }) else {
            return []
        }
        let updates = base.kind == .global ? eligible.filter { $0.kind == .update && $0.round == base.round } : []
        return ([base] + updates).sorted { $0.purpose < $1.purpose }
    }

    /// SHA-256 of the CBOR array [federation, version, [[file name, SHA-256 of its bytes], ...]], the
    /// files sorted by name.
    static func digest(federation: String, version: UInt64, files: [(name: StateFileName, hash: [UInt8])]) -> [UInt8] {
        let entries = files.sorted { $0.name.purpose < $1.name.purpose }.map { file -> CBORValue in
            .array([.text(file.name.description), .bytes(file.hash)])
        }
        return Digest.sha256.hash(CBOREncoder.encode(.array([.text(federation), .unsigned(version), .array(entries)])))
    }
}
