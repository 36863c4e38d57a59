import ByteKit
import Testing

@Suite struct HexTests {
    @Test func encodesLowercase() {
        #expect(Hex.encode([0x00, 0x0f, 0xab, 0xff]) == "000fabff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func decodesEitherCaseAndPrefix() {
        #expect(Hex.decode("000FabFF") == [0x00, 0x0f, 0xab, 0xff])
        #expect(Hex.decode("0x0102") == [0x01, 0x02])
        #expect(Hex.decode("") == [])
    }

    @Test(arguments: ["0", "abc", "zz", "0x0", "12 34", "é1"])
    func rejectsNonHex(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func shortensLongValues() {
        #expect(Hex.short([1, 2, 3, 4, 5]) == "01020304...")
        #expect(Hex.short([1, 2]) == "0102")
    }
}
