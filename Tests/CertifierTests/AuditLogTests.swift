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
        #expect(throws: CertifierError(.auditLogFailed, "\(log.path): line 2 is not an audit entry")) { try AuditLog.read(path: log.path) }
    }
}

/// The audit log's rotation by size, and by an outside rotation (move then reopen, or copytruncate).
@Suite struct AuditLogRotationTests {
    func entry(_ index: Int) -> AuditEntry {
        AuditEntry(date: Date(), peer: "127.0.0.1:\(index)", role: "device", measurement: "\(index)", decision: .admitted)
    }

    func measurements(_ path: String) throws -> [String] {
        try AuditLog.read(path: path).compactMap(\.measurement)
    }

    @Test func rotationBySizeKeepsTheNewestLinesInNFiles() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/audit.jsonl"
        let log = try AuditLog(path: path, rotation: AuditLog.Rotation(maximumBytes: 1000, keep: 2))
        for index in 0..<100 { try log.append(entry(index)) }
        #expect(!FileBytes.exists("\(path).3"))
        var kept: [String] = []
        for file in ["\(path).2", "\(path).1", path] {
            let size = try FileBytes.read(file, limit: AuditLog.maximumFileSize).count
            #expect(size > 0 && size <= 1000, "\(file): \(size) bytes")
            kept += try measurements(file)
        }
        // The three files hold the last lines, in order, none missing between them.
        #expect(kept.last == "99")
        #expect(kept == (100 - kept.count..<100).map { "\($0)" })
        #expect(FileBytes.permissions(path) == 0o600)
    }

    @Test func rotationWithNoOldFilesKeptStartsOver() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/audit.jsonl"
        let log = try AuditLog(path: path, rotation: AuditLog.Rotation(maximumBytes: 300, keep: 0))
        for index in 0..<10 { try log.append(entry(index)) }
        #expect(!FileBytes.exists("\(path).1"))
        #expect(try measurements(path).last == "9")
        #expect(throws: CertifierError(.invalidSetting, "the audit log's size limit is 0 bytes; it must be at least 1")) { try AuditLog.Rotation(maximumBytes: 0, keep: 1) }
        #expect(throws: CertifierError(.invalidSetting, "keeping -1 old audit logs: give 0 to 1000")) { try AuditLog.Rotation(maximumBytes: 10, keep: -1) }
    }

    @Test func reopenStartsANewFileAfterTheOldOneWasMoved() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/audit.jsonl"
        let log = try AuditLog(path: path)
        try log.append(entry(1))
        #expect(rename(path, "\(path).moved") == 0)
        // Until it reopens, the log writes on in the file it has open, wherever it now is.
        try log.append(entry(2))
        try log.reopen()
        try log.append(entry(3))
        #expect(try measurements("\(path).moved") == ["1", "2"])
        #expect(try measurements(path) == ["3"])
    }

    @Test func copytruncateLosesNothingWrittenAfterIt() throws {
        let folder = temporaryFolder("audit")
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/audit.jsonl"
        let log = try AuditLog(path: path)
        try log.append(entry(1))
        try log.append(entry(2))
        try FileBytes.writeAtomically(FileBytes.read(path, limit: AuditLog.maximumFileSize), to: "\(path).1")
        #expect(truncate(path, 0) == 0)
        try log.append(entry(3))
        // O_APPEND: the line lands at the new end, offset 0, with no hole of zero bytes before it.
        let bytes = try FileBytes.read(path, limit: AuditLog.maximumFileSize)
        #expect(bytes.first == UInt8(ascii: "{"))
        #expect(try measurements(path) == ["3"])
        #expect(try measurements("\(path).1") == ["1", "2"])
    }
}
