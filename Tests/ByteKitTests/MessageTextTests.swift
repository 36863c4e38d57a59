import ByteKit
import Testing

/// The small wording helpers every layer's messages share.
@Suite struct MessageTextTests {
    @Test func anIPv6HostIsBracketedBeforeItsPort() {
        #expect(hostPortText(host: "127.0.0.1", port: 8124) == "127.0.0.1:8124")
        #expect(hostPortText(host: "localhost", port: 0) == "localhost:0")
        #expect(hostPortText(host: "::1", port: 8124) == "[::1]:8124")
        #expect(hostPortText(host: "fe80::1%eth0", port: 65535) == "[fe80::1%eth0]:65535")
    }

    @Test func aQuantityIsSingularOnlyForOne() {
        #expect(quantity(1, "byte") == "1 byte")
        #expect(quantity(0, "byte") == "0 bytes")
        #expect(quantity(UInt64(64), "byte") == "64 bytes")
        #expect(quantity(1, "more entry", "more entries") == "1 more entry")
        #expect(quantity(3, "more entry", "more entries") == "3 more entries")
    }

    @Test func aDurationInSecondsKeepsItsFraction() {
        #expect(Duration.seconds(2).inSeconds == 2)
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(abs(Duration.nanoseconds(1).inSeconds - 1e-9) < 1e-18)
        #expect(Duration.seconds(-3).inSeconds == -3)
    }
}
