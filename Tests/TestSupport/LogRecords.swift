public import Logging
import Synchronization

/// Keeps every record a logger wrote, so tests can check what a server logged.
public final class LogRecords: Sendable {
    /// One log record, metadata merged and rendered as text.
    public struct Record: Sendable {
        /// Its level.
        public let level: Logger.Level
        /// Its message.
        public let message: String
        /// The handler's and the event's metadata, each value as text.
        public let metadata: [String: String]
    }

    private let records = Mutex([Record]())

    /// An empty record book.
    public init() {}

    /// Every record so far, in order.
    public var all: [Record] { records.withLock { $0 } }

    /// Every message so far, in order.
    public var messages: [String] { all.map(\.message) }

    /// A logger that records here, from `level` up.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        Logger(label: label) { _ in RecordingHandler(records: self, logLevel: level) }
    }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }
}

private struct RecordingHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(records: LogRecords, logLevel: Logger.Level) {
        self.records = records
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        records.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
