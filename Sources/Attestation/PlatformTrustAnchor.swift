import ByteKit
import Foundation
public import OpenSSLKit

/// A platform attestation key the verifier trusts, optionally tied to the platform it belongs to.
public struct PlatformTrustAnchor: Sendable, Hashable {
    /// The platform instance ID (claim 256) this key belongs to; nil for a key trusted for any platform.
    public var instanceID: [UInt8]?
    /// The implementation ID (claim 2396) the platform must report; nil to accept any.
    public var implementationID: [UInt8]?
    /// The platform's public key (CPAK/IAK).
    public var key: ECPublicKey

    /// An anchor for `key`, tied to an instance and implementation ID when given.
    public init(instanceID: [UInt8]? = nil, implementationID: [UInt8]? = nil, key: ECPublicKey) {
        self.instanceID = instanceID
        self.implementationID = implementationID
        self.key = key
    }

    /// Reads anchors from a file's contents, whichever form it has: PEM (a public key, or a private key
    /// whose public half is taken), a JWK, a JSON list `[{"instance-id", "implementation-id", "pkey": JWK}]`,
    /// or a raw 65-, 97- or 133-byte point `04||X||Y` (binary or hex).
    public static func load(_ contents: [UInt8]) throws(AttestationError) -> [PlatformTrustAnchor] {
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            if text.hasPrefix("-----BEGIN") {
                let key = text.contains("PRIVATE KEY-----") ? try ECPrivateKey(pem: text).publicKey : try ECPublicKey(pem: text)
                return [PlatformTrustAnchor(key: key)]
            }
            if text.hasPrefix("{") {
                return [PlatformTrustAnchor(key: try ECPublicKey(jwkJSON: contents))]
            }
        } catch {
            throw AttestationError(.invalidKey, "\(error)", cause: error)
        }
        if text.hasPrefix("[") {
            return try list(contents)
        }
        if let point = rawPoint(contents) ?? Hex.decode(text).flatMap(rawPoint) {
            do {
                return [PlatformTrustAnchor(key: try ECPublicKey(rawPoint: point))]
            } catch {
                throw AttestationError(.invalidKey, "\(error)", cause: error)
            }
        }
        throw AttestationError(
            .invalidKey,
            "not a PEM key, a JWK, a JSON list of trust anchors or a raw 65-, 97- or 133-byte point (\(quantity(contents.count, "byte")))")
    }

    /// Reads anchors from a file; errors name the file.
    public static func load(contentsOfFile path: String) throws(AttestationError) -> [PlatformTrustAnchor] {
        let contents: [UInt8]
        do {
            contents = try FileBytes.read(path, limit: PEMFile.maximumSize)
        } catch {
            throw AttestationError(.invalidKey, "\(error)", cause: error)
        }
        do {
            return try load(contents)
        } catch {
            throw error.within(path)
        }
    }

    /// Bytes that look like an uncompressed point on a supported curve.
    private static func rawPoint(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.first == 0x04 && Curve(rawPointLength: bytes.count) != nil ? bytes : nil
    }

    /// A JSON list of `{"instance-id": hex, "implementation-id": hex, "pkey": JWK}` (Veraison's form).
    private static func list(_ json: [UInt8]) throws(AttestationError) -> [PlatformTrustAnchor] {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(json)), let entries = parsed as? [Any] else {
            throw AttestationError(.invalidKey, "the trust-anchor list is not a JSON array")
        }
        guard !entries.isEmpty else { throw AttestationError(.invalidKey, "the trust-anchor list is empty") }
        var anchors: [PlatformTrustAnchor] = []
        for (index, entry) in entries.enumerated() {
            do {
                anchors.append(try anchor(entry))
            } catch {
                throw error.within("trust anchor \(index)")
            }
        }
        return anchors
    }

    private static func anchor(_ entry: Any) throws(AttestationError) -> PlatformTrustAnchor {
        guard let members = entry as? [String: Any] else { throw AttestationError(.invalidKey, "it is not a JSON object") }
        guard let jwk = members["pkey"] as? [String: Any] else {
            throw AttestationError(.invalidKey, "\"pkey\" is missing or not a JWK object")
        }
        func identifier(_ name: String) throws(AttestationError) -> [UInt8]? {
            guard let value = members[name] else { return nil }
            guard let text = value as? String, let bytes = Hex.decode(text), !bytes.isEmpty else {
                throw AttestationError(.invalidKey, "\"\(name)\" is not hex text")
            }
            return bytes
        }
        let key: ECPublicKey
        do {
            key = try ECPublicKey(jwk: jwk.compactMapValues { $0 as? String })
        } catch {
            throw AttestationError(.invalidKey, "\"pkey\": \(error)", cause: error)
        }
        return PlatformTrustAnchor(instanceID: try identifier("instance-id"), implementationID: try identifier("implementation-id"), key: key)
    }
}
