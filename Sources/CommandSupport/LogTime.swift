public import Foundation

/// The time stamp of every log line: ISO 8601 in UTC, to the second (`2026-12-05T16:47:36Z`), so lines
/// from hosts in different zones sort and compare as they are.
public enum LogTime {
    /// `time` as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func text(_ time: Date) -> String {
        time.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .gmt))
    }
}
