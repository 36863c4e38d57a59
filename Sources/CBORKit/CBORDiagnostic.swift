import ByteKit

/// RFC 8949 §8 diagnostic notation, for logs, error messages and `cml-token`.
extension CBORValue: CustomStringConvertible {
    /// The item in diagnostic notation, e.g. `18([h'a10126', {}, h'', h'00'])`.
    public var description: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Diagnostic notation cut to about 60 characters, for error messages.
    public var shortDescription: String {
        let full = description
        return full.count <= 60 ? full : String(full.prefix(57)) + "..."
    }

    private func write(to text: inout String) {
        switch self {
        case .unsigned(let value):
            text += String(value)
        case .negative(let value):
            // -1 - UInt64.max does not fit in UInt64 arithmetic; spell it out.
            text += value == .max ? "-18446744073709551616" : "-" + String(value + 1)
        case .bytes(let value):
            text += "h'" + Hex.encode(value) + "'"
        case .text(let value):
            Self.writeQuoted(value, to: &text)
        case .array(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += ", " }
                item.write(to: &text)
            }
            text += "]"
        case .map(let map):
            text += "{"
            for (index, entry) in map.entries.enumerated() {
                if index > 0 { text += ", " }
                entry.key.write(to: &text)
                text += ": "
                entry.value.write(to: &text)
            }
            text += "}"
        case .tagged(let tag, let item):
            text += String(tag) + "("
            item.write(to: &text)
            text += ")"
        case .simple(let value):
            text += "simple(\(value))"
        case .bool(let value):
            text += value ? "true" : "false"
        case .null:
            text += "null"
        case .undefined:
            text += "undefined"
        case .float(let value):
            text += Self.floatText(value)
        }
    }

    private static func floatText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return String(value)
    }

    /// Whether `scalar` is a C0 or C1 control character or DEL.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }

    /// `text` as it is if it holds no control character, else quoted with them escaped (as `description`
    /// writes a text string): for showing text from untrusted input where plain text is expected.
    public static func printable(_ text: String) -> String {
        text.unicodeScalars.contains(where: isControl) ? CBORValue.text(text).description : text
    }

    private static func writeQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            // C0, DEL and C1 (which holds the 8-bit CSI), so that a quoted string never drives a terminal.
            case _ where CBORValue.isControl(scalar):
                text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
