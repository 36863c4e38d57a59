import ByteKit
import CBORKit
import Testing

/// Deterministic encoding (RFC 8949 §4.2.1) through libcbor, and decode/encode round trips.
struct EncoderTests {
    @Test func mapKeysSortBytewiseByEncodingNotLengthFirst() throws {
        let map: CBORMap = ["b": 1, "aa": 2, 10: 3, -1: 4, [0]: 5, "a": 6, 100: 7]
        let encoded = CBOREncoder.encode(.map(map))
        // 0a < 1864 < 20 < 6161 < 6162 < 626161 < 8100: 100 sorts before -1, "aa" before [0],
        // which the length-first order of RFC 7049 would not do.
        #expect(Hex.encode(encoded) == "a7" + "0a03" + "186407" + "2004" + "616106" + "616201" + "62616102" + "810005")
        // The map order is kept when asked, and both decode to the same map.
        let ordered = CBOREncoder.encode(.map(map), preservingMapOrder: true)
        #expect(Hex.encode(ordered) == "a7" + "616201" + "62616102" + "0a03" + "2004" + "810005" + "616106" + "186407")
        #expect(try CBORDecoder().decode(ordered) == CBORDecoder().decode(encoded))
    }

    @Test func nestedMapsAreSortedToo() throws {
        let value: CBORValue = [.map([2: .map(["z": 0, "y": .tagged(5, .map([3: 0, 1: 0]))]), 1: 0])]
        #expect(Hex.encode(CBOREncoder.encode(value)) == "81" + "a2" + "0100" + "02a2" + "6179c5a201000300" + "617a00")
    }

    @Test(arguments: [
        (UInt64(0), "00"), (23, "17"), (24, "1818"), (255, "18ff"), (256, "190100"), (65535, "19ffff"),
        (65536, "1a00010000"), (4_294_967_295, "1affffffff"), (4_294_967_296, "1b0000000100000000"),
        (.max, "1bffffffffffffffff"),
    ])
    func integersUseTheShortestHead(number: UInt64, hex: String) throws {
        #expect(Hex.encode(CBOREncoder.encode(.unsigned(number))) == hex)
        let negativeHex = Hex.encode([try bytes(hex)[0] | 0x20]) + hex.dropFirst(2)
        #expect(Hex.encode(CBOREncoder.encode(.negative(number))) == negativeHex)
        #expect(try decode(hex) == .unsigned(number))
        #expect(try decode(negativeHex) == .negative(number))
    }

    @Test(arguments: [
        (1.0, "f93c00"), (-0.0, "f98000"), (65504.0, "f97bff"), (65520.0, "fa477ff000"),
        (0x1p-24, "f90001"), (0x1p-14, "f90400"),
        // A subnormal half with several significand bits: single, since libcbor 0.8 would mangle the half.
        (0x1.ffcp-15, "fa387fe000"),
        (0x1p-25, "fa33000000"), (1 + 0x1p-10, "f93c01"), (1 + 0x1p-11, "fa3f801000"), (-0x1p-15, "f98200"),
        (0x1.8p-16, "fa37c00000"),
        (100_000.0, "fa47c35000"), (0x1p-149, "fa00000001"), (Double(Float.greatestFiniteMagnitude), "fa7f7fffff"),
        (1.1, "fb3ff199999999999a"), (Double.leastNonzeroMagnitude, "fb0000000000000001"),
        (Double.greatestFiniteMagnitude, "fb7fefffffffffffff"),
    ])
    func floatsUseTheShortestExactWidth(number: Double, hex: String) throws {
        #expect(Hex.encode(CBOREncoder.encode(.float(number))) == hex)
        #expect(try decode(hex) == .float(number))
    }

    @Test func everyNaNEncodesAsTheHalfQuietNaN() {
        for bits: UInt64 in [0x7ff8_0000_0000_0000, 0x7ff8_0000_0000_0001, 0xfff8_0000_0000_0000, 0x7ff0_0000_0000_0001] {
            #expect(Hex.encode(CBOREncoder.encode(.float(Double(bitPattern: bits)))) == "f97e00")
        }
    }

    @Test func stringsAndEmptyContent() throws {
        #expect(Hex.encode(CBOREncoder.encode(.bytes([]))) == "40")
        #expect(Hex.encode(CBOREncoder.encode(.text(""))) == "60")
        #expect(Hex.encode(CBOREncoder.encode(.text("a\u{0}b"))) == "63610062")
        let long = [UInt8](repeating: 0xab, count: 70_000)
        let encoded = CBOREncoder.encode(.bytes(long))
        #expect(Array(encoded.prefix(5)) == [0x5a, 0x00, 0x01, 0x11, 0x70])
        #expect(try CBORDecoder().decode(encoded) == .bytes(long))
    }

    @Test func roundTripsGeneratedValues() throws {
        var generator = ValueGenerator(seed: 0x5eed)
        for _ in 0..<500 {
            let value = generator.value(depth: 0)
            let deterministic = CBOREncoder.encode(value)
            let ordered = CBOREncoder.encode(value, preservingMapOrder: true)
            #expect(try CBORDecoder().decode(deterministic) == value, "\(value)")
            #expect(try CBORDecoder().decode(ordered) == value, "\(value)")
            // Deterministic encoding is a fixed point: re-encoding what it decodes gives the same bytes.
            #expect(CBOREncoder.encode(try CBORDecoder().decode(ordered)) == deterministic)
        }
    }

    @Test func decodesFromSlicesAndRawBuffers() throws {
        let framed: [UInt8] = [0xee, 0xee] + (try bytes("a1636b6579d28140")) + [0xee]
        let expected: CBORValue = .map(["key": .tagged(18, [.bytes([])])])
        #expect(try CBORDecoder().decode(framed[2..<(framed.count - 1)]) == expected)
        let fromBuffer = try framed.withUnsafeBytes { buffer in
            try CBORDecoder().decode(UnsafeRawBufferPointer(rebasing: buffer[2..<(buffer.count - 1)]))
        }
        #expect(fromBuffer == expected)
        // Offsets in errors count from the start of what was passed in.
        let error = try #require(throws: CBORError.self) { try CBORDecoder().decode(framed[2...]) }
        #expect(error.code == .trailingBytes)
        #expect(error.offset == 8)
    }
}

/// A seeded generator of arbitrary values, for round trips that cover every case.
struct ValueGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64: small, fast and good enough to vary test data.
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    mutating func integer() -> UInt64 {
        // Spread over every head width, including the edges.
        let widths: [UInt64] = [23, 24, 255, 256, 65535, 65536, 0xffff_ffff, .max]
        let limit = widths[below(widths.count)]
        return limit == .max ? next() : next() % (limit + 1)
    }

    mutating func value(depth: Int) -> CBORValue {
        let kind = below(depth > 3 ? 9 : 12)
        switch kind {
        case 0: return .unsigned(integer())
        case 1: return .negative(integer())
        case 2: return .bytes((0..<below(40)).map { _ in UInt8(truncatingIfNeeded: next()) })
        case 3:
            let scalars = (0..<below(12)).compactMap { _ in Unicode.Scalar(UInt32(next() % 0x11_0000)) }
            return .text(String(String.UnicodeScalarView(scalars)))
        case 4:
            let simple = UInt8(truncatingIfNeeded: next())
            return (20...31).contains(simple) ? .simple(0) : .simple(simple)
        case 5: return [.bool(true), .bool(false), .null, .undefined][below(4)]
        case 6:
            let float = Float(bitPattern: UInt32(truncatingIfNeeded: next()))
            return .float(below(2) == 0 ? Double(float) : Double(bitPattern: next()))
        case 7: return .float([0.0, -0.0, 1.5, 0x1p-24, 65504, .infinity, -.infinity, .nan][below(8)])
        case 8: return .unsigned(UInt64(below(24)))
        case 9: return .array((0..<below(6)).map { _ in value(depth: depth + 1) })
        case 10:
            var map = CBORMap()
            for _ in 0..<below(6) { map[value(depth: depth + 1)] = value(depth: depth + 1) }
            return .map(map)
        default: return .tagged(integer(), value(depth: depth + 1))
        }
    }
}
