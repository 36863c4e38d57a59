import CommandSupport
import Foundation

/// A status's JSON as a person reads it in a terminal: the top-level fields in a fixed order, objects
/// indented below their name, each element of a list of objects on one line. Works for any role's
/// status, so a new field shows up without a change here. Text from peers (a refusal's reasons) is
/// printed with its control characters escaped.
public enum StatusReport {
    /// The fields shown first, in this order; the others follow sorted.
    static let order = [
        "role", "version", "time", "mode", "policy", "admission", "model", "openRound", "rounds", "peers", "connections",
        "admissions", "refusals", "nonces", "revocationListVersion",
    ]

    /// The readable text of the status `json`; throws `AdminError` if it is not a JSON object.
    public static func text(of json: [UInt8]) throws(AdminError) -> String {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(json))
        } catch {
            throw AdminError("the status is not JSON: \(error)")
        }
        guard case .object(let top) = value else { throw AdminError("the status is not a JSON object") }
        let known = order.filter { top[$0] != nil }
        var lines: [String] = []
        for key in known + top.keys.filter({ !order.contains($0) }).sorted() {
            render(key: key, value: top[key] ?? .null, indent: "", into: &lines)
        }
        return lines.joined(separator: "\n")
    }

    private static func render(key: String, value: JSONValue, indent: String, into lines: inout [String]) {
        switch value {
        case .object(let object):
            lines.append("\(indent)\(key):")
            for inner in object.keys.sorted() { render(key: inner, value: object[inner] ?? .null, indent: indent + "  ", into: &lines) }
        case .array(let list) where list.contains(where: \.isObject) || list.isEmpty:
            lines.append("\(indent)\(key) (\(list.count)):\(list.isEmpty ? " none" : "")")
            for element in list { lines.append("\(indent)  - \(inline(element))") }
        default:
            lines.append("\(indent)\(key): \(inline(value))")
        }
    }

    /// A value on one line: `a: 1, b: x` for an object, a list joined with commas.
    private static func inline(_ value: JSONValue) -> String {
        switch value {
        case .object(let object): object.keys.sorted().map { "\($0): \(inline(object[$0] ?? .null))" }.joined(separator: ", ")
        case .array(let list): list.isEmpty ? "none" : list.map(inline).joined(separator: ", ")
        case .string(let text): PrintableText.escapingControls(text)
        case .number(let number):
            // A whole number prints as one; a fraction with at most 4 significant digits.
            number.rounded() == number && abs(number) < 1e15 ? "\(Int64(number))" : String(format: "%.4g", number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "none"
        }
    }
}

/// Any JSON value, decoded without Foundation's untyped objects (which cannot tell `true` from 1).
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let list = try? container.decode([JSONValue].self) {
            self = .array(list)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
