import ByteKit
import CBORKit
import OpenSSLKit

/// The one place rows of the shared database are sealed and opened (docs/scale.md): each update and
/// each global model is AES-256-GCM under a key derived from the sealing secret that the certifier
/// releases to every admitted runtime of the federation, so every replica opens what any replica wrote,
/// and the database's host opens nothing.
///
/// The associated data binds the row's kind, federation, round, voice (updates) and the replica that
/// wrote it: a blob changed in place, or moved to another round, federation, voice or replica name,
/// fails to open and is refused, naming where it was found. The voice itself is stored as HMAC-SHA256
/// under another key derived from the secret, so the host learns no device's certificate or platform.
struct SealedRow: Sendable {
    /// What a row holds: an update or not-sampled decision (`runtime_updates`) or a global model
    /// (`runtime_federations`).
    enum Kind: String, Sendable {
        case update = "fl-update"
        case global = "fl-global"
    }

    /// Where a row is, as its columns say: what its associated data binds.
    struct Place: Sendable, CustomStringConvertible {
        let kind: Kind
        let federation: String
        let round: UInt64
        /// The keyed voice of an update; empty for a global model.
        let voice: [UInt8]
        /// The replica that wrote it.
        let replica: String

        /// "the update row of federation F, round R, written by replica X".
        var description: String {
            "the \(kind == .update ? "update" : "global model") row of federation \"\(federation)\", round \(round), written by replica \(replica)"
        }
    }

    private let sealKey: [UInt8]
    private let voiceKey: [UInt8]

    /// The keys derived from `sealingSecret` (at least 16 bytes).
    init(sealingSecret: [UInt8]) throws(RuntimeError) {
        guard sealingSecret.count >= SealedStore.minimumSecretSize else {
            throw RuntimeError(
                .sealingKeyUnusable, "the sealing secret has \(sealingSecret.count) bytes, at least \(SealedStore.minimumSecretSize) are needed")
        }
        do {
            let salt = Array("cml-runtime".utf8)
            sealKey = try HKDF.deriveKey(secret: sealingSecret, salt: salt, info: Array("shared rows v1".utf8), count: AESGCM.keySize)
            voiceKey = try HKDF.deriveKey(secret: sealingSecret, salt: salt, info: Array("shared voices v1".utf8), count: 32)
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "deriving the keys of the shared rows failed: \(error)", cause: error)
        }
    }

    /// The keyed voice of `voice` (e.g. "platform 1a2b...") in `federation`: HMAC-SHA256, the same at
    /// every replica, meaningless to the host.
    func voice(_ voice: String, federation: String) -> [UInt8] {
        Self.hmacSHA256(key: voiceKey, CBOREncoder.encode(.array([.text(federation), .text(voice)])))
    }

    /// `plaintext` sealed for `place`.
    func seal(_ plaintext: [UInt8], at place: Place) throws(RuntimeError) -> [UInt8] {
        do {
            return try AESGCM.seal(plaintext, key: sealKey, authenticating: Self.associatedData(place))
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "sealing \(place) failed: \(error)", cause: error)
        }
    }

    /// The plaintext of `sealed` found at `place`; throws `sealed-file-corrupt` naming the place if it was
    /// changed, moved from another place, or sealed under another secret.
    func open(_ sealed: [UInt8], at place: Place) throws(RuntimeError) -> [UInt8] {
        do {
            return try AESGCM.open(sealed, key: sealKey, authenticating: Self.associatedData(place))
        } catch {
            throw RuntimeError(
                .sealedFileCorrupt,
                "\(place): refused: it does not open under the federation's sealing key with the place it was found at, so it was "
                    + "changed or moved in the database (or sealed under another secret); not using it",
                cause: error)
        }
    }

    private static func associatedData(_ place: Place) -> [UInt8] {
        CBOREncoder.encode(
            .array([.text("CMLROW1"), .text(place.kind.rawValue), .text(place.federation), .unsigned(place.round), .bytes(place.voice), .text(place.replica)]))
    }

    /// HMAC-SHA256 (RFC 2104) over the one-shot SHA-256.
    private static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let block = 64
        var padded = key.count > block ? Digest.sha256.hash(key) : key
        padded += [UInt8](repeating: 0, count: block - padded.count)
        let inner = Digest.sha256.hash(padded.map { $0 ^ 0x36 } + message)
        return Digest.sha256.hash(padded.map { $0 ^ 0x5c } + inner)
    }
}
