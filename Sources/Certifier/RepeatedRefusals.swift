public import Foundation
import Synchronization

/// Folds identical refusals from one source into one audit line per interval, so that unauthenticated
/// peers cannot grow the audit log without bound by sending the same bad request again and again.
///
/// Refusals are identical when they come from the same source address (the host, whatever the port),
/// with the same code and the same reasons. The first of them is written at once and opens an interval;
/// the others within it are only counted, and when the interval ends one line sums them up: the first
/// line again, timed at the end, with `repeated` set to the count. A refusal that differs in anything
/// but the port, or comes after the interval, is written at once.
///
/// Memory stays bounded: at most `capacity` intervals are open; beyond that, refusals are written as
/// they come (each opening no interval), which is what the log did before.
public final class RepeatedRefusals: Sendable {
    /// What makes refusals identical.
    private struct Key: Hashable {
        let source: String
        let code: String?
        let reasons: [String]
    }

    /// An open interval: the line written at its start and how many identical refusals followed.
    private struct Interval {
        let first: AuditEntry
        let ends: Date
        var count: Int
    }

    /// How long an interval lasts.
    public let interval: TimeInterval
    /// The most intervals open at once.
    public let capacity: Int
    private let open = Mutex<[Key: Interval]>([:])

    /// Intervals of `interval` seconds (10 by default), at most `capacity` open at once.
    public init(interval: TimeInterval = 10, capacity: Int = 10_000) {
        self.interval = interval
        self.capacity = capacity
    }

    /// What to write for `refusal` at `now`: the lines of intervals that have ended, then `refusal`
    /// itself unless an open interval counts it instead.
    public func lines(for refusal: AuditEntry, now: Date) -> [AuditEntry] {
        let key = Key(source: Self.source(of: refusal.peer ?? ""), code: refusal.code, reasons: refusal.reasons)
        return open.withLock { open in
            var lines = Self.ended(&open, now: now)
            if var current = open[key] {
                current.count += 1
                open[key] = current
            } else {
                if open.count < capacity { open[key] = Interval(first: refusal, ends: now + interval, count: 0) }
                lines.append(refusal)
            }
            return lines
        }
    }

    /// The summary lines of intervals that ended by `now` (all of them when `now` is nil, e.g. at stop);
    /// those intervals close.
    public func due(now: Date?) -> [AuditEntry] {
        open.withLock { open in Self.ended(&open, now: now ?? .distantFuture) }
    }

    /// Closes the intervals ended by `now`, returning a line for each that counted a repetition, oldest first.
    private static func ended(_ open: inout [Key: Interval], now: Date) -> [AuditEntry] {
        let closing = open.filter { $0.value.ends <= now }
        guard !closing.isEmpty else { return [] }
        for key in closing.keys { open[key] = nil }
        return closing.values.filter { $0.count > 0 }.sorted { $0.ends < $1.ends }.map { interval in
            var line = interval.first
            line.time = AuditEntry.timestamp(min(interval.ends, now))
            line.repeated = interval.count
            return line
        }
    }

    /// The host of `peer` ("10.0.0.1:5123" -> "10.0.0.1", "[::1]:5123" -> "[::1]"): a client picks a new
    /// port for each connection, so the port tells nothing about who sent it.
    static func source(of peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":"), !peer[colon...].contains("]") else { return peer }
        return String(peer[..<colon])
    }
}
