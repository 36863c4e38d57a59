/// Text from elsewhere made safe to print on one line of a terminal or a log.
public enum PrintableText {
    /// `text` with its control characters (C0, DEL, C1) escaped as `\n`, `\r`, `\t` or `\u{1B}`.
    ///
    /// Log lines and error messages carry text a peer chose (the common name of a refused certificate,
    /// a request type): a line end in it would forge a log line, and an escape sequence would drive the
    /// terminal.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": escaped.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": escaped.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where isControl(scalar): escaped.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
