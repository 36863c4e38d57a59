@testable import Certifier
import Foundation
import Testing

/// The audit lines a certifier holds while its database is out of reach: written in order once it
/// answers, a failure keeping the rest in order, and a full backlog handing lines back to be logged.
@Suite struct AuditBacklogTests {
    static let policy = AuditEntry.PolicyName(name: "test", sha256: [1, 2, 3])

    static func line(_ second: Int) -> AuditEntry {
        AuditEntry(date: Date(timeIntervalSince1970: 1_800_000_000 + TimeInterval(second)), event: .policyLoaded, policy: policy)
    }

    static let outage = CertifierError(.storeUnavailable, "the database is out of reach")

    @Test func heldLinesAreWrittenInOrderAndALineOfferedMeanwhileWaitsBehindThem() {
        let backlog = AuditBacklog(capacity: 10)
        #expect(backlog.holdIfPending(Self.line(0)) == .notPending)
        #expect(backlog.hold(Self.line(1)) == .held(first: true))
        #expect(backlog.hold(Self.line(2)) == .held(first: false))
        // A newer line must not overtake the held ones.
        #expect(backlog.holdIfPending(Self.line(3)) == .held(first: false))

        // The store still down after one line: the rest stay held, in order.
        var written: [AuditEntry] = []
        let partial = backlog.flush { entry throws(CertifierError) in
            guard written.isEmpty else { throw Self.outage }
            written.append(entry)
        }
        #expect(partial.written == 1 && partial.failure == Self.outage)
        #expect(backlog.count == 2)

        let rest = backlog.flush { entry throws(CertifierError) in written.append(entry) }
        #expect(rest.written == 2 && rest.failure == nil)
        #expect(written == [1, 2, 3].map(Self.line))
        #expect(backlog.count == 0)
        #expect(backlog.holdIfPending(Self.line(4)) == .notPending)
    }

    @Test func aFullBacklogHandsTheLineBackAndDrainEmptiesIt() {
        let backlog = AuditBacklog(capacity: 2)
        #expect(backlog.hold(Self.line(0)) == .held(first: true))
        #expect(backlog.hold(Self.line(1)) == .held(first: false))
        #expect(backlog.hold(Self.line(2)) == .full)
        #expect(backlog.holdIfPending(Self.line(3)) == .full)
        #expect(backlog.drain() == [0, 1].map(Self.line))
        #expect(backlog.count == 0)
    }
}
