public import Foundation
import Synchronization

/// The policy's cap on admissions per platform instance and hour, as a sliding window kept in memory:
/// a platform admitted `limit` times in the last hour is refused until the oldest of them is an hour
/// old. It resists a host that attests device after device on one platform (Sybil devices).
///
/// A certifier restart forgets the window (docs/policy.md): the cap bounds the rate of one run, and the
/// runtime's per-platform counting (`fl.one-update-per`) holds regardless.
public final class AdmissionRateLimit: Sendable {
    /// The window: one hour.
    public static let window: TimeInterval = 3600
    /// The most admissions of one platform within `window`.
    public let limit: Int
    /// Admission times by platform instance (hex), oldest first, none older than the window.
    private let admissions = Mutex<[String: [Date]]>([:])

    /// A limit of `limit` admissions per platform and hour.
    public init(limit: Int) {
        self.limit = limit
    }

    /// A limit of `limit` that starts from the admissions `previous` counted (a policy reload changes
    /// the cap, not what was admitted).
    public init(limit: Int, continuing previous: AdmissionRateLimit?) {
        self.limit = limit
        if let previous { admissions.withLock { $0 = previous.admissions.withLock { $0 } } }
    }

    /// Records an admission of `platform` at `now` if it is within the limit and returns nil; otherwise
    /// records nothing and returns when the platform may be admitted again.
    public func reserve(platform: String, now: Date) -> Date? {
        admissions.withLock { admissions in
            // Forgetting expired times of every platform keeps memory to the last hour's admissions.
            admissions = admissions.compactMapValues { times in
                let recent = times.filter { now.timeIntervalSince($0) < Self.window }
                return recent.isEmpty ? nil : recent
            }
            let recent = admissions[platform, default: []]
            if recent.count >= limit, let oldest = recent.first { return oldest + Self.window }
            admissions[platform, default: []].append(now)
            return nil
        }
    }
}
