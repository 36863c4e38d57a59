import Testing
import CBORKit

@Test func linksLibcbor() {
    #expect(CBORKitVersion.libcbor.hasPrefix("0."))
}
