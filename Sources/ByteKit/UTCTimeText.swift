public import Foundation

/// Dates as reasons and logs show them: "2026-11-25 13:05:12 UTC".
public enum UTCTimeText {
    /// The date in UTC to the second, e.g. "2026-11-25 13:05:12 UTC".
    public static func format(_ date: Date) -> String {
        // A formatter per call: DateFormatter is not Sendable, and this only runs for reasons and logs.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }
}
