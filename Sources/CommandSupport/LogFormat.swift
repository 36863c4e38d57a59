public import ArgumentParser
public import Foundation
public import Logging

/// How a log event is written: `text` for people, `json` for log collectors (one object per line).
public enum LogFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// `2026-12-05T16:47:36Z [runtime] message key=value`, the level shown only for warnings and worse.
    case text
    /// `{"time": "...", "role": "runtime", "level": "info", "message": "...", "key": "value"}`.
    case json

    /// The line for one event, without its line end; every control character in it is escaped, so a peer's
    /// text can neither forge a line nor drive a terminal.
    public func line(time: Date, role: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let stamp = LogTime.text(time)
        let fields = metadata.sorted { $0.key < $1.key }
        switch self {
        case .text:
            let details = fields.map { " \($0.key)=\($0.value)" }.joined()
            let shown = level >= .warning ? "\(level): " : ""
            return PrintableText.escapingControls("\(stamp) [\(role)] \(shown)\(message)\(details)")
        case .json:
            let fixed = [("time", stamp), ("role", role), ("level", level.rawValue), ("message", message)]
            let taken = Set(fixed.map(\.0))
            // A metadata key that would overwrite a fixed field keeps its value under a name of its own.
            let extra = fields.map { (taken.contains($0.key) ? "metadata.\($0.key)" : $0.key, "\($0.value)") }
            let members = (fixed + extra).map { "\(JSONText.quoted($0.0)): \(JSONText.quoted($0.1))" }
            return "{" + members.joined(separator: ", ") + "}"
        }
    }
}
