import ByteKit
import Foundation
import OpenSSLKit
import Testing

/// RFC 6979 A.2.5 (P-256) and A.2.6 (P-384): public key, message, hash and the deterministic r||s.
private struct KnownSignature: Sendable, CustomTestStringConvertible {
    let curve: Curve
    let x: String
    let y: String
    let message: String
    let digest: Digest
    let r: String
    let s: String
    var testDescription: String { "\(curve) \(digest) \"\(message)\"" }

    var rawPoint: [UInt8] { Hex.decode("04" + x + y)! }
    var signature: [UInt8] { Hex.decode(r + s)! }
}

private let p256X = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
private let p256Y = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
private let p384X = "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC13"
private let p384Y = "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD2533264720"

private let knownSignatures = [
    KnownSignature(
        curve: .p256, x: p256X, y: p256Y, message: "sample", digest: .sha256,
        r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
        s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),
    KnownSignature(
        curve: .p256, x: p256X, y: p256Y, message: "test", digest: .sha256,
        r: "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
        s: "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"),
    KnownSignature(
        curve: .p384, x: p384X, y: p384Y, message: "sample", digest: .sha384,
        r: "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
        s: "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"),
]

@Test(arguments: knownSignatures)
private func knownAnswerSignatureVerifies(_ vector: KnownSignature) throws {
    let key = try ECPublicKey(rawPoint: vector.rawPoint, curve: vector.curve)
    let message = Array(vector.message.utf8)
    #expect(key.isValidSignature(vector.signature, for: message, digest: vector.digest))
    #expect(key.isValidSignature(vector.signature, forDigest: vector.digest.hash(message)))
    // The same signature does not fit another message or another hash.
    #expect(!key.isValidSignature(vector.signature, for: message + [0x00], digest: vector.digest))
    #expect(!key.isValidSignature(vector.signature, for: message, digest: .sha512))
}

@Test(arguments: knownSignatures)
private func everyFlippedBitIsRejected(_ vector: KnownSignature) throws {
    let key = try ECPublicKey(rawPoint: vector.rawPoint, curve: vector.curve)
    let message = Array(vector.message.utf8)
    for bit in stride(from: 0, to: vector.signature.count * 8, by: 7) {
        var signature = vector.signature
        signature[bit / 8] ^= 1 << (bit % 8)
        #expect(!key.isValidSignature(signature, for: message, digest: vector.digest), "bit \(bit)")
    }
}

@Test func malformedSignaturesAreFalseNotErrors() throws {
    let vector = knownSignatures[0]
    let key = try ECPublicKey(rawPoint: vector.rawPoint, curve: vector.curve)
    let message = Array(vector.message.utf8)
    let signature = vector.signature
    #expect(!key.isValidSignature([], for: message, digest: .sha256))
    #expect(!key.isValidSignature(Array(signature.dropLast()), for: message, digest: .sha256))
    #expect(!key.isValidSignature(signature + [0], for: message, digest: .sha256))
    // A DER signature is not a raw one.
    #expect(!key.isValidSignature(Array(repeating: 0x30, count: 70), for: message, digest: .sha256))
    // r = 0 and s = 0 are out of range.
    #expect(!key.isValidSignature(Array(repeating: 0, count: 64), for: message, digest: .sha256))
    #expect(!key.isValidSignature(Array(repeating: 0xff, count: 64), for: message, digest: .sha256))
    #expect(!key.isValidSignature(signature, forDigest: []))
}

@Test(arguments: Curve.allCases)
func signAndVerifyRoundTrip(curve: Curve) throws {
    let key = ECPrivateKey(generating: curve)
    #expect(key.curve == curve)
    #expect(key.publicKey.curve == curve)
    let message = Array("attestation challenge".utf8)
    let signature = try key.signature(for: message, digest: curve.digest)
    #expect(signature.count == curve.signatureSize)
    #expect(key.publicKey.isValidSignature(signature, for: message, digest: curve.digest))
    #expect(!key.publicKey.isValidSignature(signature, for: message + [1], digest: curve.digest))
    #expect(!ECPrivateKey(generating: curve).publicKey.isValidSignature(signature, for: message, digest: curve.digest))

    let hash = Digest.sha512.hash(message)
    let prehashed = try key.signature(forDigest: hash)
    #expect(prehashed.count == curve.signatureSize)
    #expect(key.publicKey.isValidSignature(prehashed, forDigest: hash))
    #expect(key.publicKey.isValidSignature(prehashed, for: message, digest: .sha512))
}

@Test func signaturesAreFixedSizeEvenWithLeadingZeros() throws {
    // About one signature in 128 has r or s below 2^(8*(size-1)); DER would drop that byte, raw must not.
    let key = ECPrivateKey(generating: .p256)
    for counter in 0..<400 {
        let message = Array("message \(counter)".utf8)
        let signature = try key.signature(for: message, digest: .sha256)
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message, digest: .sha256))
    }
}

@Test func signingAnEmptyDigestIsAnError() {
    let key = ECPrivateKey(generating: .p256)
    let error = #expect(throws: OpenSSLError.self) { try key.signature(forDigest: []) }
    #expect(error?.reasons == ["the digest is empty"])
}

@Test func keysVerifyInParallel() async throws {
    let key = ECPrivateKey(generating: .p384)
    let message = Array("shared across threads".utf8)
    let signature = try key.signature(for: message, digest: .sha384)
    let publicKey = key.publicKey
    let verdicts = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<16 {
            group.addTask {
                var forged = signature
                if index % 2 == 1 { forged[index] ^= 0x01 }
                return publicKey.isValidSignature(forged, for: message, digest: .sha384) == (index % 2 == 0)
            }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(verdicts == Array(repeating: true, count: 16))
}

/// Platform signatures of the CCA sample tokens, with the COSE ToBeSigned bytes extracted from the token.
@Test func ccaPlatformSignaturesVerifyWithTheirPublishedKeys() throws {
    let entries = try #require(
        try JSONSerialization.jsonObject(with: Data(TestVectors.bytes("cca-platform-signatures.json"))) as? [[String: String]])
    #expect(entries.count == 2)
    for entry in entries {
        let keyFile = try #require(entry["key"])
        let key =
            keyFile.hasPrefix("ta-")
            ? try ECPublicKey(jwk: TestVectors.trustAnchorJWK(keyFile))
            : try ECPublicKey(jwkJSON: TestVectors.bytes(keyFile))
        let toBeSigned = try #require(Hex.decode(entry["toBeSigned"] ?? ""))
        let signature = try #require(Hex.decode(entry["signature"] ?? ""))
        #expect(!toBeSigned.isEmpty)
        #expect(key.curve.signatureSize == signature.count)
        #expect(key.isValidSignature(signature, for: toBeSigned, digest: key.curve.digest), "\(keyFile)")
        var changed = toBeSigned
        changed[changed.count - 1] ^= 0x01
        #expect(!key.isValidSignature(signature, for: changed, digest: key.curve.digest), "\(keyFile)")
    }
}
