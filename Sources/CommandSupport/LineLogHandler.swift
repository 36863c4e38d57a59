import Foundation
public import Logging

/// A log handler for people: one line per event on standard error, `13:05:12 [certifier] message
/// key=value ...`, with the level shown only for warnings and worse.
public struct LineLogHandler: LogHandler {
    /// The name in brackets, e.g. "certifier".
    public let label: String
    /// The least severe level printed.
    public var logLevel: Logger.Level
    /// Metadata printed with every event, as ` key=value` after the message.
    public var metadata: Logger.Metadata = [:]

    /// A handler printing events at `level` and above under `label`.
    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    /// One metadata value printed with every event.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Prints `event` as one line on standard error.
    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let details = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let level = event.level >= .warning ? "\(event.level): " : ""
        let time = Date().formatted(Date.VerbatimFormatStyle(
            format: "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
            timeZone: .current, calendar: .current))
        StandardError.line(Self.escapingControls("\(time) [\(label)] \(level)\(event.message)\(details)"))
    }

    /// `text` with its control characters (C0, DEL, C1) escaped as `\n`, `\r`, `\t` or `\u{1B}`.
    ///
    /// Log lines carry text a peer chose (the common name of a refused certificate, a request type): a
    /// line end in it would forge a log line, and an escape sequence would drive the terminal.
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
