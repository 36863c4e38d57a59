import Testing
import OpenSSLKit

@Test func linksOpenSSL() {
    #expect(OpenSSLVersion.text.hasPrefix("OpenSSL 3"))
}
