import Foundation
import Synchronization

/// One decision of the certifier as the status shows it: when, which claimed role, admitted or refused
/// with the code and reasons, the measurement and serial in short. No evidence bytes, no key.
public struct DecisionRecord: Sendable, Equatable, Encodable {
    /// When it was made, e.g. "2026-12-05 20:00:00 UTC".
    public let time: String
    /// "admitted" or "refused".
    public let decision: String
    /// The role claimed, as the audit log records it (quoted and escaped if it is not a role name).
    public let role: String
    /// Where the evidence came from (the client's address).
    public let peer: String
    /// The refusal's code; nil for an admission.
    public let code: String?
    /// Why it was refused; empty for an admission.
    public let reasons: [String]
    /// The first 8 hex digits of the measurement, when the token gave one.
    public let measurement: String?
    /// The first 8 hex digits of the certificate's serial, for an admission.
    public let serial: String?
}

/// The certifier's last admissions and last refusals, each list holding at most `capacity`, newest
/// last: what the status and the console show. In memory only; the audit log is the record.
public final class RecentDecisions: Sendable {
    /// How many of each are kept.
    public let capacity: Int
    /// The longest reason kept, in characters; a longer one is cut, so the status stays small.
    public static let maximumReasonLength = 400
    private let lists = Mutex((admitted: [DecisionRecord](), refused: [DecisionRecord]()))

    /// Keeps the last `capacity` admissions and the last `capacity` refusals.
    public init(capacity: Int = 20) {
        self.capacity = max(1, capacity)
    }

    /// Adds `record` to its list, dropping that list's oldest beyond the capacity.
    public func append(_ record: DecisionRecord) {
        let record = DecisionRecord(
            time: record.time, decision: record.decision, role: record.role, peer: record.peer, code: record.code,
            reasons: record.reasons.map { $0.count > Self.maximumReasonLength ? String($0.prefix(Self.maximumReasonLength)) + "..." : $0 },
            measurement: record.measurement, serial: record.serial)
        lists.withLock { lists in
            if record.code == nil {
                lists.admitted.append(record)
                if lists.admitted.count > capacity { lists.admitted.removeFirst(lists.admitted.count - capacity) }
            } else {
                lists.refused.append(record)
                if lists.refused.count > capacity { lists.refused.removeFirst(lists.refused.count - capacity) }
            }
        }
    }

    /// The last admissions, oldest first.
    public var admissions: [DecisionRecord] { lists.withLock { $0.admitted } }
    /// The last refusals, oldest first.
    public var refusals: [DecisionRecord] { lists.withLock { $0.refused } }
}
