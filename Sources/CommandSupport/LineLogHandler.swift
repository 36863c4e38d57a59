import ArgumentParser
import Foundation
public import Logging

/// Log records as plain lines on standard error, readable in a transcript: the message alone when it
/// carries no metadata (`epoch: 10, loss: 0.023,0.037`), otherwise followed by its metadata in
/// parentheses. Info and debug lines show only the record's own metadata; warnings and errors also the
/// logger's (which peer, which connection), since that is what one needs to act on them.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level

    /// A handler writing records from `level` up.
    public init(level: Logger.Level = .info) {
        logLevel = level
    }

    /// Bootstraps swift-log with this handler, once per process (executables only; libraries never do).
    public static func bootstrap(level: Logger.Level = .info) {
        LoggingSystem.bootstrap { _ in LineLogHandler(level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let shown = event.level >= .warning ? metadata.merging(event.metadata ?? [:]) { $1 } : event.metadata ?? [:]
        var line = event.level >= .warning ? "\(event.level): \(event.message)" : "\(event.message)"
        if !shown.isEmpty {
            line += " (" + shown.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        StandardError.line(line)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
