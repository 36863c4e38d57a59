/// Finds a key that appears twice in one object of a JSON text.
///
/// A signed policy must mean one thing to every reader. With a repeated key it does not: Foundation's
/// JSONDecoder keeps the first value, JSONSerialization, jq and Python the last, so the policy the
/// certifier enforces could differ from the one a person reviewed. JSON itself (RFC 8259) leaves the
/// meaning of repeated names open, so the policy reader refuses them.
enum JSONDuplicateKeys {
    /// The dotted path of the first repeated key (e.g. `roles.device.secrets`), or nil if there is none.
    ///
    /// Meant for text that a JSON parser has already accepted: on anything else it answers without
    /// trapping, but may miss a repetition.
    static func first(in json: [UInt8]) -> String? {
        var stack: [Container] = []
        var index = 0
        while index < json.count {
            let byte = json[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append(Container(path: childPath(stack), isObject: true))
            case UInt8(ascii: "["):
                stack.append(Container(path: childPath(stack), isObject: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if let top = stack.indices.last {
                    stack[top].expectsKey = stack[top].isObject
                    stack[top].element += 1
                }
            case UInt8(ascii: "\""):
                let (text, end) = string(json, from: index + 1)
                index = end
                if let top = stack.indices.last, stack[top].isObject, stack[top].expectsKey {
                    guard stack[top].keys.insert(text).inserted else {
                        return stack[top].path.isEmpty ? text : "\(stack[top].path).\(text)"
                    }
                    stack[top].expectsKey = false
                    stack[top].currentKey = text
                }
                continue
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// An object or array that is open at the scan position.
    private struct Container {
        let path: String
        let isObject: Bool
        var expectsKey = true
        var keys: Set<String> = []
        var currentKey = ""
        var element = 0

        init(path: String, isObject: Bool) {
            self.path = path
            self.isObject = isObject
        }
    }

    /// The path of a value that starts inside the innermost open container.
    private static func childPath(_ stack: [Container]) -> String {
        guard let top = stack.last else { return "" }
        if top.isObject { return top.path.isEmpty ? top.currentKey : "\(top.path).\(top.currentKey)" }
        return "\(top.path)[\(top.element)]"
    }

    /// The string whose content starts at `start` (after its opening quote), with its escapes decoded so
    /// that `"a"` and `"\u0061"` are the same key, and the index after its closing quote.
    private static func string(_ json: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var index = start
        func flushRaw() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while index < json.count {
            let byte = json[index]
            if byte == UInt8(ascii: "\"") {
                flushRaw()
                return (String(scalars), index + 1)
            }
            guard byte == UInt8(ascii: "\\"), index + 1 < json.count else {
                raw.append(byte)
                index += 1
                continue
            }
            flushRaw()
            let escape = json[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{c}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var unit = hexUnit(json, at: index)
                index += 4
                // A high surrogate followed by `\uDC00`-`\uDFFF` is one scalar.
                if let high = unit, (0xd800...0xdbff).contains(high), index + 1 < json.count,
                    json[index] == UInt8(ascii: "\\"), json[index + 1] == UInt8(ascii: "u"),
                    let low = hexUnit(json, at: index + 2), (0xdc00...0xdfff).contains(low)
                {
                    unit = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                    index += 6
                }
                scalars.append(unit.flatMap(Unicode.Scalar.init) ?? "\u{fffd}")
            default: scalars.append(Unicode.Scalar(escape))
            }
        }
        flushRaw()
        return (String(scalars), index)
    }

    /// The four hex digits at `index` as a number, or nil.
    private static func hexUnit(_ json: [UInt8], at index: Int) -> UInt32? {
        guard index + 4 <= json.count else { return nil }
        var value: UInt32 = 0
        for byte in json[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
