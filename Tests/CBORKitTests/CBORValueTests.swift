import CBORKit
import Testing

/// The value and map API that the rest of the project codes against.
struct CBORValueTests {
    @Test func integersAndTheirAccessors() {
        #expect(CBORValue(0) == .unsigned(0))
        #expect(CBORValue(-1) == .negative(0))
        #expect(CBORValue(Int.min) == .negative(UInt64(Int.max)))
        #expect(CBORValue(Int.min).int == Int.min)
        #expect(CBORValue(Int.max).int == Int.max)
        #expect(CBORValue.unsigned(UInt64(Int.max) + 1).int == nil)
        #expect(CBORValue.unsigned(UInt64(Int.max) + 1).uint64 == UInt64(Int.max) + 1)
        #expect(CBORValue.negative(UInt64(Int.max) + 1).int == nil)
        #expect(CBORValue(-5).uint64 == nil)
        #expect(CBORValue.text("5").int == nil)
    }

    @Test func typedAccessorsAnswerOnlyForTheirType() {
        let values: [CBORValue] = [.bytes([1]), "t", [1], .map([1: 2]), .tagged(18, 0), true, 1.5]
        #expect(values.compactMap(\.bytes) == [[1]])
        #expect(values.compactMap(\.text) == ["t"])
        #expect(values.compactMap(\.array) == [[1]])
        #expect(values.compactMap(\.map) == [[1: 2]])
        #expect(values.compactMap(\.tag).map(\.tag) == [18])
        #expect(values.compactMap(\.bool) == [true])
        #expect(values.compactMap(\.double) == [1.5])
        #expect(values.map(\.typeName) == ["byte string", "text string", "array", "map", "tagged item", "boolean", "float"])
    }

    @Test func equalityFollowsTheDataModel() {
        #expect(CBORValue.float(0.0) != .float(-0.0))
        #expect(CBORValue.float(.nan) == .float(-.nan))
        #expect(CBORValue.text("\u{e9}") != .text("e\u{301}"))
        #expect(CBORValue.unsigned(1) != .float(1))
        #expect(CBORValue.map([1: 2, 3: 4]) == .map([3: 4, 1: 2]))
        #expect(CBORValue.map([1: 2, 3: 4]).hashValue == CBORValue.map([3: 4, 1: 2]).hashValue)
        #expect(CBORValue.map([1: 2, 3: 4]) != .map([1: 2, 3: 5]))
        #expect(CBORValue.array([1, 2]) != .array([2, 1]))
        let keys: Set<CBORValue> = [.float(.nan), .float(Double(bitPattern: 0x7ff8_0000_0000_0001)), .float(0.0), .float(-0.0)]
        #expect(keys.count == 3)
    }

    @Test func largeMapsCompareRegardlessOfOrder() throws {
        let entries = (0..<100).map { (key: CBORValue($0), value: CBORValue.text("v\($0)")) }
        let forward = try CBORMap(entries)
        let backward = try CBORMap(entries.reversed())
        #expect(forward == backward)
        var changed = backward
        changed[int: 50] = nil
        changed[CBORValue(50)] = "other"
        #expect(forward != changed)
    }

    @Test func mapLookupsAndEdits() throws {
        var map: CBORMap = ["a": 1, -7: "seven", [1]: .null]
        #expect(map.count == 3)
        #expect(map[text: "a"] == 1)
        #expect(map[int: -7] == "seven")
        #expect(map[[1]] == .null)
        #expect(map[text: "b"] == nil)
        #expect(map[int: 7] == nil)
        map["a"] = 2
        map["b"] = 3
        map[-7] = nil
        #expect(map.entries.map(\.key) == ["a", [1], "b"])
        #expect(map[text: "a"] == 2)
        #expect(Array(map).map(\.value) == [2, .null, 3])
        #expect(!map.isEmpty && CBORMap().isEmpty)
    }

    @Test func mapInitializerRejectsDuplicateKeys() throws {
        let error = try #require(throws: CBORError.self) { try CBORMap([(key: 1, value: 2), (key: "x", value: 3), (key: 1, value: 4)]) }
        #expect(error.code == .duplicateMapKey)
        #expect(error.offset == nil)
        #expect(error.message == "duplicate map key 1 (entry 2)")
        let many = (0..<40).map { (key: CBORValue($0), value: CBORValue.null) } + [(key: 39, value: .null)]
        #expect(throws: CBORError.self) { try CBORMap(many) }
    }

    @Test func diagnosticNotation() throws {
        let value: CBORValue = [
            0, -1, .negative(.max), .bytes([0xde, 0xad]), "q\"\\\n\u{1}", .map([1: [], "k": .map([:])]),
            .tagged(18, .simple(16)), true, .null, .undefined, 1.5, .float(.infinity), .float(-.infinity), .float(.nan),
        ]
        #expect(CBORValue.text("a\u{9b}b\u{7f}").description == #""a\u009bb\u007f""#)
        #expect(CBORValue.printable("tag:arm.com,2023:realm#1.0.0") == "tag:arm.com,2023:realm#1.0.0")
        #expect(CBORValue.printable("x\u{1b}[2J") == #""x\u001b[2J""#)
        #expect(value.description == #"[0, -1, -18446744073709551616, h'dead', "q\"\\\n\u0001", {1: [], "k": {}}, 18(simple(16)), true, null, undefined, 1.5, Infinity, -Infinity, NaN]"#)
        let long = CBORValue.bytes([UInt8](repeating: 0xff, count: 100))
        #expect(long.shortDescription.count == 60)
        #expect(long.shortDescription.hasSuffix("..."))
    }
}
