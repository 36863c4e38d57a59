import Attestation
import CBORKit
import ByteKit
import Foundation
import OpenSSLKit
import Testing

/// Files in this target's Vectors folder (copied from shared/testdata/cca).
enum Vectors {
    /// The tokens that verify with cca_platform.pem, and their outer forms.
    static let validTokens: [(name: String, format: CCATokenFormat)] = [
        ("cca-token-01.cbor", .tag399), ("cca-token-draft-ffm-00.cbor", .tag399), ("cca_example_token.cbor", .tag907),
    ]

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors"), "no vector \(name)")
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    /// The P-384 platform key (CPAK) of the TF-M / TF-RMM / FVP samples.
    static func platformKey() throws -> ECPrivateKey {
        try ECPrivateKey(pem: text("cca_platform.pem"))
    }

    /// The P-384 RAK of the FVP samples.
    static func realmKey() throws -> ECPrivateKey {
        try ECPrivateKey(pem: text("cca_realm.pem"))
    }

    /// A verifier that trusts the sample platform key.
    static func verifier() throws -> CCAVerifier {
        CCAVerifier(trustAnchors: [PlatformTrustAnchor(key: try platformKey().publicKey)])
    }
}

/// Bytes from hex written in a test; a typo fails the test rather than crashing it.
func hex(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try #require(Hex.decode(text), "not hex: \(text)", sourceLocation: sourceLocation)
}

/// The error `body` throws, or nil if it does not throw.
func attestationError<T>(_ body: () throws(AttestationError) -> T) -> AttestationError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

extension Array where Element == UInt8 {
    /// The offset where `needle` first occurs.
    func offset(of needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// A copy with the byte at `offset` XORed with `mask`.
    func flipping(at offset: Int, mask: UInt8 = 0x01) -> [UInt8] {
        var copy = self
        copy[offset] ^= mask
        return copy
    }
}

/// Tokens re-signed with the sample keys after a change, for rejections that need valid signatures.
enum Forge {
    /// The platform and realm COSE_Sign1 bytes inside a token, exactly as carried.
    static func signedParts(_ token: [UInt8]) throws -> (platform: [UInt8], realm: [UInt8]) {
        let decoded = try CCAToken(decoding: token)
        let realm = try #require(decoded.realm)
        return (decoded.platform.encoded, realm.encoded)
    }

    /// The claims of a sample token as maps, to change before re-signing.
    static func claimMaps(_ name: String) throws -> (platform: CBORMap, realm: CBORMap) {
        let token = try CCAToken(decoding: Vectors.bytes(name))
        return (token.platformClaims.cborMap, try #require(token.realmClaims).cborMap)
    }

    /// A token whose payloads are `platform` and `realm` (raw bytes), signed with the sample keys.
    static func token(platformPayload: [UInt8], realmPayload: [UInt8], format: CCATokenFormat = .tag399) throws -> [UInt8] {
        let platform = try COSESign1.sign(payload: platformPayload, key: Vectors.platformKey())
        let realm = try COSESign1.sign(payload: realmPayload, key: Vectors.realmKey())
        return CCATokenMaker.assemble(platform: platform.encoded, realm: realm.encoded, format: format)
    }

    /// A token whose claims are these maps, signed with the sample keys.
    static func token(platform: CBORMap, realm: CBORMap, format: CCATokenFormat = .tag399) throws -> [UInt8] {
        try token(platformPayload: encode(platform), realmPayload: encode(realm), format: format)
    }

    static func encode(_ claims: CBORMap) -> [UInt8] {
        CBOREncoder.encode(.map(claims), preservingMapOrder: true)
    }

    /// A COSE_Sign1 with `protectedHeader` in place of the original's, signature unchanged.
    static func replacingProtectedHeader(_ sign1: COSESign1, with protectedHeader: [UInt8]) -> [UInt8] {
        CBOREncoder.encode(.tagged(18, [.bytes(protectedHeader), .map(CBORMap()), .bytes(sign1.payload), .bytes(sign1.signature)]))
    }
}
