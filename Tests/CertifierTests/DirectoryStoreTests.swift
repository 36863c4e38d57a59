import ByteKit
import Certifier
import Foundation
import Testing

/// The folder store: what the certifier always kept in its state folder, behind `CertifierStore`.
struct DirectoryStoreTests {
    @Test func aPresentedNonceMustBeTheConnectionsOwn() throws {
        let folder = temporaryFolder("directory-store")
        try FileBytes.makeDirectory(folder)
        let store = try DirectoryStore(directory: folder)
        let now = Date()
        let first = store.issueNonce(to: 1, now: now, lifetime: 60)
        let second = store.issueNonce(to: 2, now: now, lifetime: 60)
        // Connection 2's nonce named on connection 1: one process issued every nonce it redeems, each on its connection.
        #expect(store.redeemNonce(for: 1, presented: second.nonce, now: now) == .failure(.unknown))
        #expect(store.redeemNonce(for: 2, presented: second.nonce, now: now) == .success(second.nonce))
        #expect(store.redeemNonce(for: 2, presented: nil, now: now) == .failure(.reused))
        #expect(first.nonce != second.nonce)
    }

    @Test func theAuditLogReadsFromATime() throws {
        let folder = temporaryFolder("directory-store")
        try FileBytes.makeDirectory(folder)
        let store = try DirectoryStore(directory: folder)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let policy = AuditEntry.PolicyName(name: "p", sha256: [1])
        try store.append(AuditEntry(date: start, event: .start, policy: policy))
        try store.append(AuditEntry(date: start + 10, event: .stop, policy: policy))
        #expect(try store.auditEntries(since: nil).map(\.event) == [.start, .stop])
        #expect(try store.auditEntries(since: start + 5).map(\.event) == [.stop])
        #expect(try AuditLog.read(path: "\(folder)/\(CertifierState.Files.auditLog)").count == 2)
    }
}
