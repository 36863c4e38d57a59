import ByteKit
import CBORKit
import CCBOR
import Testing

/// libcbor 0.8.0 (Debian 12) refuses valid heads that CBORKit decodes itself, and
/// mis-encodes some half floats that CBORKit steers around.
struct LibcborWorkaroundTests {
    /// What libcbor's own streaming decoder says about the first head of `input`.
    private func libcborStatus(_ input: [UInt8]) -> cbor_decoder_status {
        input.withUnsafeBufferPointer { buffer in
            withUnsafePointer(to: cbor_empty_callbacks) { callbacks in
                cbor_stream_decode(buffer.baseAddress, buffer.count, callbacks, nil).status
            }
        }
    }

    private var libcborFixedOneByteTags: Bool {
        let parts = CBORKitVersion.libcbor.split(separator: ".").compactMap { Int($0) }
        return parts.count == 3 && (parts[0], parts[1]) >= (0, 11)
    }

    /// Pins the bug: if this fails after a libcbor upgrade, the workaround can be reconsidered.
    @Test func libcborItselfRejectsOneByteTagHeadsBefore0_11() throws {
        let expected = libcborFixedOneByteTags ? CBOR_DECODER_FINISHED : CBOR_DECODER_ERROR
        #expect(libcborStatus(try bytes("d280")) == expected)
        #expect(libcborStatus(try bytes("c680")) == expected)
        #expect(libcborStatus(try bytes("d480")) == expected)
        #expect(libcborStatus(try bytes("d81280")) == CBOR_DECODER_FINISHED)
        #expect(libcborStatus(try bytes("c580")) == CBOR_DECODER_FINISHED)
    }

    @Test func coseSign1TagInOneByteForm() throws {
        #expect(try decode("d280") == .tagged(18, []))
    }

    @Test(arguments: 6...20)
    func everyAffectedTagDecodesInBothHeadForms(tag: Int) throws {
        let oneByte: [UInt8] = [0xc0 + UInt8(tag), 0x01]
        let twoByte: [UInt8] = [0xd8, UInt8(tag), 0x01]
        let expected = CBORValue.tagged(UInt64(tag), 1)
        #expect(try CBORDecoder().decode(oneByte) == expected)
        #expect(try CBORDecoder().decode(twoByte) == expected)
        // Deterministic encoding uses the one-byte head for tags below 24.
        #expect(CBOREncoder.encode(expected) == oneByte)
    }

    @Test func oneByteTagsNestedInsideContainers() throws {
        // [{1: 18([h'', {}, 16(null)])}]: the tags sit inside a map inside an array.
        let value = try decode("81a101d28340a0d0f6")
        #expect(value == [.map([1: .tagged(18, [.bytes([]), .map([:]), .tagged(16, .null)])])])
    }

    @Test func nestedOneByteTags() throws {
        #expect(try decode("d2d3d400") == .tagged(18, .tagged(19, .tagged(20, 0))))
    }

    @Test func oneByteTagWithoutContentIsTruncated() throws {
        let error = try #require(try decodeError("d2"))
        #expect(error.code == .truncated)
        #expect(error.offset == 1)
        #expect(error.message.contains("tag 18 at offset 0"))
    }

    /// libcbor 0.8 also refuses every simple value outside false/true/null/undefined.
    @Test func simpleValuesLibcborRefuses() throws {
        if !libcborFixedOneByteTags {
            #expect(libcborStatus(try bytes("f0")) == CBOR_DECODER_ERROR)
            #expect(libcborStatus(try bytes("f820")) == CBOR_DECODER_ERROR)
        }
        #expect(try decode("e0") == .simple(0))
        #expect(try decode("f3") == .simple(19))
        #expect(try decode("f820") == .simple(32))
        #expect(try decode("f8ff") == .simple(255))
        #expect(CBOREncoder.encode(.simple(19)) == [0xf3])
        #expect(CBOREncoder.encode(.simple(32)) == [0xf8, 0x20])
    }

    @Test(arguments: ["f800", "f813", "f814", "f817", "f818", "f81f"])
    func twoByteSimpleValuesBelow32AreMalformed(hex: String) throws {
        let error = try #require(try decodeError(hex))
        #expect(error.code == .malformed)
        #expect(error.offset == 0)
        #expect(error.message.contains("two-byte form"))
    }

    @Test func twoByteSimpleValueCutShortIsTruncated() throws {
        let error = try #require(try decodeError("81f8"))
        #expect(error.code == .truncated)
        #expect(error.offset == 1)
    }

    /// libcbor 0.8's `cbor_encode_half` keeps one bit of a subnormal half's significand.
    @Test func libcborManglesSubnormalHalves() {
        var buffer = [UInt8](repeating: 0, count: 3)
        let written = cbor_encode_half(Float(3) * 0x1p-24, &buffer, 3)
        #expect(written == 3)
        #expect(buffer == [0xf9, 0x00, 0x02])  // should be f9 00 03
    }

    @Test func subnormalHalvesWithSeveralBitsEncodeAsSingle() throws {
        let value = CBORValue.float(3 * 0x1p-24)
        #expect(Hex.encode(CBOREncoder.encode(value)) == "fa34400000")
        #expect(try CBORDecoder().decode(CBOREncoder.encode(value)) == value)
        // The decoder reads the preferred half form all the same.
        #expect(try decode("f90003") == value)
        // A subnormal half with one bit set survives libcbor and stays half.
        #expect(Hex.encode(CBOREncoder.encode(.float(0x1p-20))) == "f90010")
    }
}
