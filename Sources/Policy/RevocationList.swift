import Attestation
public import ByteKit
public import Foundation
public import OpenSSLKit

/// The domain's revoked admission certificates, as the certifier keeps and serves it: a version that
/// grows with each change and an issue time (so a holder can refuse an older list replayed to it), and
/// the serials revoked. Signed, it is a COSE_Sign1 by the issuing key (see `IssuingCertificate`) of its
/// JSON, which says `"format": "cml-revocations"` so that it can never be read as a policy; the protected
/// header carries the issuing certificate (x5chain), which a holder checks against the policy certificate.
public struct RevocationList: Codable, Sendable, Equatable {
    /// One revoked certificate.
    public struct Entry: Codable, Sendable, Equatable {
        /// The certificate's serial, lowercase hex.
        public var serial: String
        /// Why it was revoked, in words.
        public var reason: String
        /// When, in seconds since 1970.
        public var revoked: UInt64

        /// The entry for `serial` (hex), revoked at `revoked` for `reason`.
        public init(serial: String, reason: String, revoked: UInt64) {
            self.serial = serial.lowercased()
            self.reason = reason
            self.revoked = revoked
        }
    }

    /// The format name every list carries.
    public static let formatName = "cml-revocations"
    /// Always `formatName`.
    public var format: String
    /// Grows by one with each change; a holder keeps the highest it has seen.
    public var version: UInt64
    /// When this version was made, in seconds since 1970.
    public var issued: UInt64
    /// The revoked certificates.
    public var entries: [Entry]

    /// The empty list, version 0.
    public init(version: UInt64 = 0, issued: UInt64 = 0, entries: [Entry] = []) {
        format = Self.formatName
        self.version = version
        self.issued = issued
        self.entries = entries
    }

    /// The largest signed list accepted: 4 MiB (tens of thousands of entries).
    public static let maximumSize = 4 << 20
    /// The limit for list files.
    public static let maximumFileSize = FileSizeLimit(bytes: maximumSize, kind: "a revocation list")

    /// Whether the certificate with serial `serial` is revoked.
    public func isRevoked(serial: [UInt8]) -> Bool {
        isRevoked(serialHex: Hex.encode(serial))
    }

    /// Whether the certificate with the hex serial `serialHex` is revoked.
    public func isRevoked(serialHex: String) -> Bool {
        let serial = serialHex.lowercased()
        return entries.contains { $0.serial == serial }
    }

    /// The next version: these entries added (serials already listed are skipped), issued at `now`.
    public func adding(_ added: [Entry], now: Date) -> RevocationList {
        var entries = self.entries
        for entry in added where !entries.contains(where: { $0.serial == entry.serial }) { entries.append(entry) }
        return RevocationList(version: version + 1, issued: UInt64(max(0, now.timeIntervalSince1970)), entries: entries)
    }

    /// The JSON form, keys sorted.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Encoding plain strings and integers cannot fail.
        return (try? [UInt8](encoder.encode(self))) ?? []
    }

    /// Reads the JSON form; errors name what is wrong.
    public init(json: [UInt8]) throws(PolicyError) {
        let list: RevocationList
        do {
            list = try JSONDecoder().decode(RevocationList.self, from: Data(json))
        } catch {
            throw PolicyError("not a revocation list: \(error)", cause: error)
        }
        guard list.format == Self.formatName else {
            throw PolicyError("not a revocation list: \"format\" is \"\(list.format)\", not \"\(Self.formatName)\"")
        }
        self = list
    }

    /// The list signed by the issuing key `key`, whose certificate `issuerCertificate` it carries
    /// (COSE_Sign1, ES256 or ES384 as the key's curve says).
    public func signed(key: ECPrivateKey, issuerCertificate: Certificate) throws(PolicyError) -> [UInt8] {
        do {
            return try COSESign1.sign(payload: jsonBytes(), key: key, certificate: issuerCertificate.der).encoded
        } catch {
            throw PolicyError("cannot sign the revocation list: \(error.message)", cause: error)
        }
    }

    /// Opens a signed list: the issuing certificate it carries must pass `IssuingCertificate.check`
    /// under `policyCertificate` at `now`, the signature must verify under that certificate's key, and the
    /// payload must be a revocation list. A list signed by the policy key itself (a certifier from before
    /// issuing keys) carries no certificate and is refused.
    public init(opening bytes: [UInt8], policyCertificate: Certificate, now: Date = Date()) throws(PolicyError) {
        guard bytes.count <= Self.maximumSize else {
            throw PolicyError("the signed revocation list is \(bytes.count) bytes, over the limit of \(Self.maximumSize)")
        }
        let message: COSESign1
        let der: [UInt8]?
        do {
            message = try COSESign1(decoding: bytes)
            der = try message.protectedCertificate()
        } catch {
            throw PolicyError("not a signed revocation list (a COSE_Sign1): \(error.message)", cause: error)
        }
        guard let der else {
            throw PolicyError("the revocation list carries no issuing certificate (x5chain); it comes from a certifier older than issuing keys")
        }
        let issuer: Certificate
        let key: ECPublicKey
        do {
            issuer = try Certificate(der: der)
            key = try issuer.publicKey
        } catch {
            throw PolicyError("the revocation list's issuing certificate does not parse: \(error)", cause: error)
        }
        do {
            try IssuingCertificate.check(issuer, policyCertificate: policyCertificate, at: now)
        } catch {
            throw PolicyError("the revocation list's signer is refused: \(error.reason)", cause: error)
        }
        guard message.isValidSignature(with: key) else {
            throw PolicyError("the revocation list's signature does not verify under the key of its issuing \(issuer)")
        }
        try self.init(json: message.payload)
    }
}
