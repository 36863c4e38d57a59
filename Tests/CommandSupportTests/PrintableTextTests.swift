import CommandSupport
import Testing

@Test func controlCharactersInALogLineAreEscaped() {
    // A certificate's common name, as a refused peer chose it: a forged line, then a terminal escape.
    let name = "cml-device\n13:05:12 [runtime] ---- round 0 closed\r\t\u{1B}[2J\u{7F}\u{9B}"
    let escaped = PrintableText.escapingControls("refused peer error=self-signed \"\(name)\"")
    #expect(escaped == #"refused peer error=self-signed "cml-device\n13:05:12 [runtime] ---- round 0 closed\r\t\u{1B}[2J\u{7F}\u{9B}""#)
    #expect(!escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) })
}

@Test func plainTextIsLoggedAsItIs() {
    for text in ["epoch: 0, loss: 0.041,0.069", "model 9f2a61d0 (6713 bytes) \"quoted\" \\ é ü ✓", ""] {
        #expect(PrintableText.escapingControls(text) == text)
    }
}

@Test func aCommandFailureIsOneLine() {
    let failure = CommandFailure("refused runtime at 127.0.0.1:8124: its certificate is not issued by this domain's policy key (self-signed \"x\n\u{1B}]0;owned\u{7}\")")
    #expect(failure.description == #"refused runtime at 127.0.0.1:8124: its certificate is not issued by this domain's policy key (self-signed "x\n\u{1B}]0;owned\u{7}")"#)
}
