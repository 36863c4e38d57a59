import ByteKit
import CBORKit
import Testing

/// Real CCA tokens from other producers (copied from shared/testdata/cca): they decode,
/// re-encode byte for byte, and every truncation of them is refused as truncated.
struct TokenVectorTests {
    static let tokens = ["cca-token-01.cbor", "cca_example_token.cbor"]

    /// The COSE_Sign1 messages inside a token: a map of byte strings (tag 399) or of
    /// `[content-format, bstr]` pairs (tag 907, a CMW collection).
    private func signedParts(of token: CBORValue) throws -> [[UInt8]] {
        let collection = try #require(token.tag?.value.map)
        return try collection.entries.map { entry in
            if let direct = entry.value.bytes { return direct }
            let pair = try #require(entry.value.array)
            return try #require(pair.last?.bytes)
        }
    }

    @Test func legacyTokenStructure() throws {
        let token = try CBORDecoder().decode(vector("cca-token-01.cbor"))
        #expect(token.tag?.tag == 399)
        let collection = try #require(token.tag?.value.map)
        #expect(collection.keys == [44234, 44241])
        // The platform token is a COSE_Sign1 whose one-byte tag head (0xd2) libcbor 0.8 refuses.
        let platformBytes = try #require(collection[int: 44234]?.bytes)
        #expect(platformBytes.prefix(2) == [0xd2, 0x84])
        let platform = try CBORDecoder().decode(platformBytes)
        let sign1 = try #require(platform.tag)
        #expect(sign1.tag == 18)
        let parts = try #require(sign1.value.array)
        #expect(parts.count == 4)
        #expect(parts[0].bytes.map(Hex.encode) == "a1013822")  // {1: -35}: ES384
        #expect(parts[1] == .map([:]))
        #expect(parts[2].bytes?.count == 550)
        #expect(parts[3].bytes?.count == 96)
        let payload = try #require(parts[2].bytes)
        let claims = try #require(try CBORDecoder().decode(payload).map)
        #expect(claims[int: 265] == "http://arm.com/CCA-SSD/1.0.0")
        #expect(claims[int: 10]?.bytes.map(Hex.encode) == "b5973cb68baa9fc55558786b7ec67f69e40df5ba5aa921cd0c27f40587a011ea")
        #expect(claims[int: 2395]?.int == 0x3003)
        #expect(claims[int: 2399]?.array?.count == 4)
    }

    @Test func cmwCollectionTokenStructure() throws {
        let token = try CBORDecoder().decode(vector("cca_example_token.cbor"))
        #expect(token.tag?.tag == 907)
        let parts = try signedParts(of: token)
        #expect(parts.count == 2)
        for part in parts {
            let sign1 = try CBORDecoder().decode(part)
            #expect(sign1.tag?.tag == 18)
            #expect(sign1.tag?.value.array?.count == 4)
        }
        let realm = try CBORDecoder().decode(parts[1])
        let payload = try #require(realm.tag?.value.array?[2].bytes)
        let claims = try #require(try CBORDecoder().decode(payload).map)
        #expect(claims[int: 265] == "tag:arm.com,2024:realm#2.0.0")
        #expect(claims[int: 10]?.bytes?.count == 64)
    }

    /// Tokens and their COSE_Sign1 messages are in deterministic order; the claim payloads are
    /// not (their producers write claim keys in their own order), so those compare in map order.
    @Test(arguments: tokens)
    func reencodesByteForByte(name: String) throws {
        let input = try vector(name)
        let token = try CBORDecoder().decode(input)
        #expect(CBOREncoder.encode(token) == input)
        for part in try signedParts(of: token) {
            let sign1 = try CBORDecoder().decode(part)
            #expect(CBOREncoder.encode(sign1) == part)
            let payload = try #require(sign1.tag?.value.array?[2].bytes)
            let claims = try CBORDecoder().decode(payload)
            #expect(CBOREncoder.encode(claims, preservingMapOrder: true) == payload)
            #expect(CBOREncoder.encode(claims) != payload, "this payload is in deterministic order after all")
            #expect(try CBORDecoder().decode(CBOREncoder.encode(claims)) == claims)
        }
    }

    @Test func nonDeterministicClaimsKeepTheirOrder() throws {
        let input = try vector("realm-claims.cbor")
        let claims = try #require(try CBORDecoder().decode(input).map)
        #expect(claims.keys == [10, 44235, 44238, 44239, 44236, 44237, 44240])
        #expect(CBOREncoder.encode(.map(claims), preservingMapOrder: true) == input)
        let sorted = try #require(try CBORDecoder().decode(CBOREncoder.encode(.map(claims))).map)
        #expect(sorted.keys == [10, 44235, 44236, 44237, 44238, 44239, 44240])
        #expect(sorted == claims)
    }

    @Test(arguments: tokens + ["realm-claims.cbor"])
    func everyTruncationIsRefusedAsTruncated(name: String) throws {
        let input = try vector(name)
        for length in 0..<input.count {
            let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(input[..<length]) }
            #expect(error.code == .truncated, "cut at \(length): \(error.message)")
            #expect((error.offset ?? -1) <= length, "cut at \(length): \(error.message)")
        }
    }

    @Test func everyTruncationOfTheSignedPartsIsRefusedAsTruncated() throws {
        for part in try signedParts(of: CBORDecoder().decode(vector("cca_example_token.cbor"))) {
            for length in 0..<part.count {
                let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(part[..<length]) }
                #expect(error.code == .truncated, "cut at \(length): \(error.message)")
            }
        }
    }

    @Test(arguments: AppendixATests.examples)
    func everyTruncationOfAnAppendixExampleIsRefused(_ example: AppendixATests.Example) throws {
        let input = try bytes(example.hex)
        for length in 0..<input.count {
            let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(input[..<length]) }
            #expect(error.code == .truncated, "cut at \(length): \(error.message)")
        }
    }
}
