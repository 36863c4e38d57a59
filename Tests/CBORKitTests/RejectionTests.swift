import CBORKit
import Testing

/// Every way the decoder refuses input, with its code, its offset and a message that says where.
struct RejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let hex: String
        let code: CBORError.Code
        let offset: Int
        /// A phrase the message must contain.
        let phrase: String

        init(_ hex: String, _ code: CBORError.Code, at offset: Int, _ phrase: String) {
            self.hex = hex
            self.code = code
            self.offset = offset
            self.phrase = phrase
        }

        var testDescription: String { "\(hex) -> \(code)" }
    }

    static let cases: [Case] = [
        // Trailing bytes after one complete item.
        Case("0000", .trailingBytes, at: 1, "input goes on for 1 more byte"),
        Case("8201020304", .trailingBytes, at: 3, "ends at offset 3 but the input goes on for 2 more bytes"),
        Case("d28000", .trailingBytes, at: 2, "ends at offset 2"),
        // Input that ends early.
        Case("", .truncated, at: 0, "empty"),
        Case("19", .truncated, at: 0, "head of the unsigned integer at offset 0"),
        Case("1a0102", .truncated, at: 0, "needs 5 bytes and has 3"),
        Case("6261", .truncated, at: 0, "text string at offset 0 declares 2 bytes with only 1 byte left"),
        Case("8301", .truncated, at: 0, "array at offset 0 declares 3 items with only 1 byte left"),
        Case("a20102", .truncated, at: 0, "map at offset 0 declares 2 entries"),
        Case("82019f02", .truncated, at: 4, "inside the indefinite-length array at offset 2"),
        Case("5f4101", .truncated, at: 3, "indefinite-length byte string at offset 0"),
        Case("a101d8", .truncated, at: 2, "head of the tag at offset 2"),
        // Declared lengths far beyond the input: refused before anything is allocated.
        Case("5bffffffffffffffff00", .truncated, at: 0, "declares 18446744073709551615 bytes"),
        Case("7a7fffffff61", .truncated, at: 0, "declares 2147483647 bytes with only 1 byte left"),
        Case("9b00000000ffffffff00", .truncated, at: 0, "declares 4294967295 items"),
        Case("9bffffffffffffffff00", .truncated, at: 0, "array at offset 0 declares 18446744073709551615 items"),
        Case("bb00000001000000000000", .truncated, at: 0, "map at offset 0 declares 4294967296 entries"),
        Case("8159ffff00", .truncated, at: 1, "byte string at offset 1 declares 65535 bytes"),
        // Not well-formed.
        Case("1c", .malformed, at: 0, "reserved additional information 28"),
        Case("82011d", .malformed, at: 2, "initial byte 0x1d at offset 2"),
        Case("5e", .malformed, at: 0, "reserved additional information 30"),
        Case("fc", .malformed, at: 0, "reserved"),
        Case("1f", .malformed, at: 0, "indefinite length, which is not allowed for major type 0"),
        Case("3f", .malformed, at: 0, "major type 1"),
        Case("df00", .malformed, at: 0, "major type 6"),
        Case("ff", .malformed, at: 0, "break (0xff) at offset 0 closes no"),
        Case("8201ff", .malformed, at: 2, "inside the array at offset 0"),
        Case("bf01ff", .malformed, at: 2, "after key 1 without its value"),
        Case("5f01ff", .malformed, at: 1, "but an unsigned integer starts at offset 1"),
        Case("5f6161ff", .malformed, at: 1, "only definite-length byte string chunks"),
        Case("7f4161ff", .malformed, at: 1, "only definite-length text string chunks"),
        Case("5f5fffff", .malformed, at: 1, "a byte string starts at offset 1"),
        Case("7f80ff", .malformed, at: 1, "but an array starts at offset 1"),
        Case("5fc140ff", .malformed, at: 1, "tag starts at offset 1"),
        // Duplicate keys, at any depth and in any form.
        Case("a201020103", .duplicateMapKey, at: 3, "duplicate map key 1 at offset 3"),
        Case("a20001180000", .duplicateMapKey, at: 3, "duplicate map key 0"),
        Case("81a100a2616101616102", .duplicateMapKey, at: 7, "duplicate map key \"a\" at offset 7 in the map at offset 3"),
        Case("a28201020082010201", .duplicateMapKey, at: 5, "duplicate map key [1, 2]"),
        Case("bf0102010300ff", .duplicateMapKey, at: 3, "indefinite-length map at offset 0"),
        Case("a2a10102f6a10102f6", .duplicateMapKey, at: 5, "duplicate map key {1: 2}"),
        Case("a2d20100d20100", .duplicateMapKey, at: 4, "duplicate map key 18(1)"),
        Case("a2f97e0000fb7ff80000000000000101", .duplicateMapKey, at: 5, "NaN"),
        // Text that is not UTF-8.
        Case("62c328", .invalidUTF8, at: 0, "text string at offset 0 is not valid UTF-8 (byte 1)"),
        Case("8263616263636182ff", .invalidUTF8, at: 5, "(byte 7)"),
        Case("62c080", .invalidUTF8, at: 0, "not valid UTF-8"),
        Case("63eda080", .invalidUTF8, at: 0, "not valid UTF-8"),
        Case("64f4908080", .invalidUTF8, at: 0, "not valid UTF-8"),
        Case("7f61c361bcff", .invalidUTF8, at: 1, "text string at offset 1"),
        Case("a161ff00", .invalidUTF8, at: 1, "(byte 2)"),
    ]

    @Test(arguments: cases)
    func rejects(_ rejection: Case) throws {
        let error = try #require(try decodeError(rejection.hex), "decoded without error")
        #expect(error.code == rejection.code)
        #expect(error.offset == rejection.offset)
        #expect(error.message.contains(rejection.phrase), "message: \(error.message)")
        #expect(error.description == "CBOR: " + error.message)
    }

    @Test func duplicateKeyFoundAmongManyKeys() throws {
        // 40 distinct keys, then key 7 again: past the linear scan, in the hashed path.
        var input: [UInt8] = [0xb8, 41]
        for key in 0..<40 { input += CBOREncoder.encode(CBORValue(key)) + [0xf6] }
        let duplicateOffset = input.count
        input += [0x07, 0xf6]
        let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(input) }
        #expect(error.code == .duplicateMapKey)
        #expect(error.offset == duplicateOffset)
        input[duplicateOffset] = 0x18
        input.insert(40, at: duplicateOffset + 1)
        #expect(try CBORDecoder().decode(input).map?.count == 41)
    }

    @Test func textKeysCompareByBytesNotByCanonicalEquivalence() throws {
        // "é" precomposed and "e" + combining acute: equal as Swift Strings, distinct as CBOR keys.
        let map = try #require(try decode("a262c3a9016365cc8102").map)
        #expect(map.count == 2)
        #expect(map[text: "\u{e9}"] == 1)
        #expect(map[text: "e\u{301}"] == 2)
    }

    // MARK: Limits

    @Test func depthLimitAllowsExactlyMaxDepthLevels() throws {
        #expect(throws: Never.self) { try CBORDecoder().decode(nestedArrays(32)) }
        let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(nestedArrays(33)) }
        #expect(error.code == .tooDeep)
        #expect(error.offset == 32)
        #expect(error.message.contains("more than 32 levels"))
    }

    @Test func depthLimitCountsTagsAndEmptyContainers() throws {
        let limits = CBORDecoder.Limits(maxDepth: 3)
        #expect(try decode("d2d2d200", limits: limits) == .tagged(18, .tagged(18, .tagged(18, 0))))
        #expect(try decodeError("d2d2d2d200", limits: limits)?.code == .tooDeep)
        #expect(try decode("818180", limits: limits) == [[[]]])
        #expect(try decodeError("81818180", limits: limits)?.code == .tooDeep)
        #expect(try decodeError("818181a0", limits: limits)?.code == .tooDeep)
        #expect(try decodeError("9f9f9f5fffffffff", limits: limits)?.code == .tooDeep)
    }

    @Test func deepNestingBombIsRefusedQuickly() throws {
        let error = try #require(throws: CBORError.self) {
            try CBORDecoder().decode([UInt8](repeating: 0x9f, count: 1_000_000))
        }
        #expect(error.code == .tooDeep)
        #expect(error.offset == 32)
    }

    @Test func stringLengthLimit() throws {
        let limits = CBORDecoder.Limits(maxStringLength: 3)
        #expect(try decode("43010203", limits: limits) == .bytes([1, 2, 3]))
        let error = try #require(try decodeError("814401020304", limits: limits))
        #expect(error.code == .tooLarge)
        #expect(error.offset == 1)
        #expect(error.message.contains("4 bytes long, more than the limit of 3"))
        #expect(try decodeError("6461626364", limits: limits)?.code == .tooLarge)
        // Chunks are limited by their joined length.
        #expect(try decode("5f4201024103ff", limits: limits) == .bytes([1, 2, 3]))
        let chunked = try #require(try decodeError("5f420102420304ff", limits: limits))
        #expect(chunked.code == .tooLarge)
        #expect(chunked.offset == 0)
    }

    @Test func itemCountLimit() throws {
        let limits = CBORDecoder.Limits(maxItemsPerContainer: 2)
        #expect(try decode("820102", limits: limits) == [1, 2])
        let array = try #require(try decodeError("83010203", limits: limits))
        #expect(array.code == .tooLarge)
        #expect(array.message.contains("declares 3 items, more than the limit of 2"))
        #expect(try decodeError("a3010203040506", limits: limits)?.code == .tooLarge)
        let indefinite = try #require(try decodeError("819f010203ff", limits: limits))
        #expect(indefinite.code == .tooLarge)
        #expect(indefinite.offset == 1)
        #expect(try decodeError("bf010203040506ff", limits: limits)?.code == .tooLarge)
    }

    @Test func inputSizeLimit() throws {
        let limits = CBORDecoder.Limits(maxInputSize: 4)
        #expect(try decode("83010203", limits: limits) == [1, 2, 3])
        let error = try #require(try decodeError("8401020304", limits: limits))
        #expect(error.code == .tooLarge)
        #expect(error.offset == 0)
        #expect(error.message.contains("5 bytes, more than the limit of 4"))
    }
}
