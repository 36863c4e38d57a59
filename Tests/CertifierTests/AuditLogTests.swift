import ByteKit
import Certifier
import Foundation
import Testing

@Suite struct AuditLogTests {
    @Test func concurrentAppendsStayWholeLines() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let log = try AuditLog(path: "\(folder)/audit.jsonl")
        let reasons = [String(repeating: "a long reason ", count: 400)]
        DispatchQueue.concurrentPerform(iterations: 16) { thread in
            for index in 0..<50 {
                let entry = AuditEntry(
                    date: Date(), peer: "127.0.0.1:\(thread)", role: "device", measurement: "\(index)", decision: index % 2 == 0 ? .admitted : .refused,
                    code: index % 2 == 0 ? nil : "appraisal-failed", reasons: index % 2 == 0 ? [] : reasons)
                try? log.append(entry)
            }
        }
        let entries = try AuditLog.read(path: log.path)
        #expect(entries.count == 800)
        #expect(entries.filter { $0.decision == .admitted }.count == 400)
        #expect(entries.filter { $0.decision == .refused }.allSatisfy { $0.reasons == reasons && $0.code == "appraisal-failed" })
        #expect(FileBytes.permissions(log.path) == 0o600)
    }

    @Test func entriesAreOneJSONObjectPerLineWithEveryField() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let log = try AuditLog(path: "\(folder)/audit.jsonl")
        let date = Date(timeIntervalSince1970: 1_800_000_000.25)
        try log.append(AuditEntry(
            date: date, peer: "127.0.0.1:5", role: "runtime", measurement: "5e", decision: .admitted, serial: "7f", expires: date + 3600))
        let text = try FileBytes.readText(log.path, limit: AuditLog.maximumFileSize)
        #expect(text == """
            {"decision":"admitted","expires":"2027-01-15T09:00:00.250Z","measurement":"5e","peer":"127.0.0.1:5","reasons":[],"role":"runtime","serial":"7f","time":"2027-01-15T08:00:00.250Z"}

            """)
        try FileBytes.writeAtomically(text: text + "not json\n", to: log.path)
        #expect(throws: CertifierError("\(log.path): line 2 is not an audit entry")) { try AuditLog.read(path: log.path) }
    }
}
