import CommandSupport
import Foundation

/// Writes figures as JSON lines on standard output, the only thing a bench writes there:
/// `{"bench":"train","name":"samples_per_s","batch":256,"value":2100000,"unit":"samples/s"}`.
struct JSONLinesReporter {
    let bench: String
    /// With `--admin`: every figure says `"admin":1` (measured with the admin endpoint on and polled).
    var admin = false

    /// Reports one figure; `parameters` are the keys it depends on (`batch`, `clients`, ...), in order.
    func figure(_ name: String, value: Double, unit: String, parameters: KeyValuePairs<String, Int> = [:]) {
        figure(name, value: value, unit: unit, pairs: parameters.map { ($0.key, $0.value) })
    }

    /// The same, with the parameters made at run time.
    func figure(_ name: String, value: Double, unit: String, pairs parameters: [(String, Int)]) {
        var fields = ["\"bench\":\(Self.quoted(bench))", "\"name\":\(Self.quoted(name))"]
        if admin { fields.append("\"admin\":1") }
        fields += parameters.map { "\(Self.quoted($0.0)):\($0.1)" }
        fields += ["\"value\":\(Self.number(value))", "\"unit\":\(Self.quoted(unit))"]
        StandardOutput.line("{" + fields.joined(separator: ",") + "}")
    }

    /// Large figures as whole numbers, small ones with three significant decimals at most.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if abs(value) >= 100 { return String(Int64(value.rounded())) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
