import Foundation
public import Logging

/// A log handler writing one line per event on standard error, as text for people
/// (`2026-12-05T16:47:36Z [certifier] message key=value`) or as one JSON object (see `LogFormat`).
public struct LineLogHandler: LogHandler {
    /// The role in brackets (text) or in the `role` field (JSON), e.g. "certifier".
    public let label: String
    /// How each event is written.
    public let format: LogFormat
    /// The least severe level printed.
    public var logLevel: Logger.Level
    /// Metadata printed with every event, as ` key=value` after the message (text) or as fields (JSON).
    public var metadata: Logger.Metadata = [:]

    /// A handler printing events at `level` and above under `label`, in `format`.
    public init(label: String, level: Logger.Level = .info, format: LogFormat = .text) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    /// One metadata value printed with every event.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Prints `event` as one line on standard error.
    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        StandardError.line(format.line(time: Date(), role: label, level: event.level, message: "\(event.message)", metadata: merged))
    }
}
