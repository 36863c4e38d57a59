public import ByteKit
import Foundation
import OpenSSLKit
import WordModel

/// Files only this runtime can read: AES-256-GCM under a key derived with HKDF from the `sealing`
/// secret that the certifier releases to an admitted runtime.
///
/// A file is `CMLSEAL1 || nonce || ciphertext || tag`. The associated data is the header and the file's
/// purpose (its name), so a sealed model cannot be passed off as another sealed file. Writes are atomic
/// (temporary file, fsync, rename, fsync of the directory) and private (0600). A file that was changed,
/// or sealed under another key, is refused with a message naming it: it is never loaded.
public struct SealedStore: Sendable {
    /// The first bytes of every sealed file.
    public static let header = Array("CMLSEAL1".utf8)
    /// The largest sealed file read: a sealed record holds at most a model blob and a few fields, so twice
    /// `ModelBlob.maximumFileSize`; anything larger was not written by this runtime.
    public static let maximumFileSize = FileSizeLimit(bytes: 2 * ModelBlob.maximumFileSize.bytes, kind: "a sealed file")
    /// The smallest secret accepted: anything shorter is not a secret the certifier released.
    public static let minimumSecretSize = 16

    /// The folder holding the sealed files.
    public let directory: String
    private let key: [UInt8]

    /// A store in `directory` (made, mode 0700, if missing) keyed by `sealingSecret`.
    public init(directory: String, sealingSecret: [UInt8]) throws(RuntimeError) {
        guard sealingSecret.count >= Self.minimumSecretSize else {
            throw RuntimeError(
                .sealingKeyUnusable, "the sealing secret has \(sealingSecret.count) bytes, at least \(Self.minimumSecretSize) are needed")
        }
        do {
            key = try HKDF.deriveKey(
                secret: sealingSecret, salt: Array("cml-runtime".utf8), info: Array("sealed state v1".utf8),
                count: AESGCM.keySize)
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "deriving the sealing key failed: \(error)", cause: error)
        }
        do {
            try FileBytes.makeDirectory(directory, mode: 0o700)
        } catch {
            throw RuntimeError(.sealedStateIO, "cannot make the sealed-state folder: \(error)", cause: error)
        }
        self.directory = directory
    }

    /// The file that holds `purpose`, e.g. `DIR/model.sealed`.
    public func path(of purpose: String) -> String {
        "\(directory)/\(purpose).sealed"
    }

    /// Seals `plaintext` for `purpose` and replaces its file atomically; returns the SHA-256 of the file's
    /// bytes (what the freshness anchor's digest covers).
    @discardableResult
    public func write(_ plaintext: [UInt8], purpose: String) throws(RuntimeError) -> [UInt8] {
        let sealed: [UInt8]
        do {
            sealed = try AESGCM.seal(plaintext, key: key, authenticating: associatedData(purpose))
        } catch {
            throw RuntimeError(.sealingKeyUnusable, "sealing \(purpose) failed: \(error)", cause: error)
        }
        do {
            try FileBytes.writeAtomically(Self.header + sealed, to: path(of: purpose), mode: 0o600)
        } catch {
            throw RuntimeError(.sealedStateIO, "cannot store the sealed \(purpose): \(error)", cause: error)
        }
        return Digest.sha256.hash(Self.header + sealed)
    }

    /// The SHA-256 of the bytes of the file of `purpose` as they are (not opened).
    public func fileDigest(purpose: String) throws(RuntimeError) -> [UInt8] {
        do {
            return Digest.sha256.hash(try FileBytes.read(path(of: purpose), limit: Self.maximumFileSize))
        } catch {
            throw RuntimeError(.sealedStateIO, "\(error)", cause: error)
        }
    }

    /// The plaintext sealed for `purpose`, or nil if there is no file for it; throws if the file was
    /// changed, sealed under another key or for another purpose, or is not a sealed file at all, or if its
    /// bytes do not have the SHA-256 `digest` (when given: the hash the anchor was checked with).
    public func read(purpose: String, digest: [UInt8]? = nil) throws(RuntimeError) -> [UInt8]? {
        let path = path(of: purpose)
        guard FileBytes.exists(path) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, limit: Self.maximumFileSize)
        } catch {
            throw RuntimeError(.sealedStateIO, "\(error)", cause: error)
        }
        // The host may swap the file between the check against the anchor and this read: what is opened
        // must be the very bytes that were checked.
        if let digest, Digest.sha256.hash(bytes) != digest {
            throw RuntimeError(
                .sealedFileCorrupt, "\(path): refused: its bytes changed after they were checked against the anchor (SHA-256 "
                    + "\(Hex.short(Digest.sha256.hash(bytes))), checked \(Hex.short(digest))); not loading it")
        }
        guard bytes.starts(with: Self.header) else {
            throw RuntimeError(
                .sealedFileCorrupt, "\(path): refused: not a sealed file (it does not start with \"\(String(decoding: Self.header, as: UTF8.self))\"); not loading it")
        }
        do {
            return try AESGCM.open(Array(bytes.dropFirst(Self.header.count)), key: key, authenticating: associatedData(purpose))
        } catch {
            throw RuntimeError(
                .sealedFileCorrupt, "\(path): refused: it does not authenticate under this runtime's sealing key, so it was changed, or "
                    + "sealed under another key (a certifier set up anew releases a new sealing secret); not loading it",
                cause: error)
        }
    }

    /// The purposes of the sealed files in the folder (`X` for `X.sealed`), sorted.
    public func purposes() throws(RuntimeError) -> [String] {
        let suffix = ".sealed"
        return try names().filter { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) }.sorted()
    }

    /// Removes the sealed file of `purpose`, if there is one. Not synced: callers remove only files that
    /// a restart would find stale anyway.
    public func remove(purpose: String) {
        unlink(path(of: purpose))
    }

    /// Removes the temporary files of writes that a crash cut short; returns how many there were.
    @discardableResult
    public func removeUnfinishedWrites() throws(RuntimeError) -> Int {
        let leftovers = try names().filter { $0.contains(".sealed.tmp-") }
        for name in leftovers { unlink("\(directory)/\(name)") }
        return leftovers.count
    }

    private func names() throws(RuntimeError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw RuntimeError(.sealedStateIO, "cannot list the sealed-state folder \(directory): \(error.localizedDescription)", cause: error)
        }
    }

    private func associatedData(_ purpose: String) -> [UInt8] {
        Self.header + Array(purpose.utf8)
    }
}
