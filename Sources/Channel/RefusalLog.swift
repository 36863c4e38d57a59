public import Logging

/// Logs refusals of one kind at most once per peer per interval, with how many there were since the
/// last line, so that a flood of connections costs a log line every few seconds, not one each.
///
/// Used by the server's event loop only.
final class RefusalLog {
    private let interval: Duration
    private var last: [String: (logged: ContinuousClock.Instant, suppressed: Int)] = [:]

    /// A log that repeats a peer's line at most every `interval`.
    init(interval: Duration) {
        self.interval = interval
    }

    /// Logs `message` about `peer` unless it was logged less than an interval ago (then only counts it).
    func note(
        _ peer: String, _ message: Logger.Message, level: Logger.Level, metadata: Logger.Metadata, to logger: Logger,
        now: ContinuousClock.Instant = .now
    ) {
        if let entry = last[peer], now - entry.logged < interval {
            last[peer]?.suppressed += 1
            return
        }
        let suppressed = last[peer]?.suppressed ?? 0
        var metadata = metadata
        if suppressed > 0 { metadata["refusals.since.last"] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata)
        last[peer] = (now, 0)
        if last.count > 4096 { forgetOld(now: now) }
    }

    /// Drops peers not heard of for an interval, so the table stays small under a spread-out flood.
    private func forgetOld(now: ContinuousClock.Instant) {
        last = last.filter { now - $0.value.logged < interval }
    }
}
