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
        StandardError.line(PrintableText.escapingControls("\(time) [\(label)] \(level)\(event.message)\(details)"))
    }
}
