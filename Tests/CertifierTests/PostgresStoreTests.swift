import Certifier
import Dispatch
import Foundation
import PQKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing

/// The certifier's PostgreSQL store, shared by two stores as by two replicas, on the tests' own cluster.
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct PostgresStoreTests {
    /// A migrated database and two stores on it, as two replicas have.
    private func replicas() throws -> (url: String, first: PostgresStore, second: PostgresStore) {
        let url = try TestPostgres.freshDatabase()
        _ = try PostgresStore.migrate(connectionString: url)
        return (url, try PostgresStore(connectionString: url), try PostgresStore(connectionString: url))
    }

    @Test func migratingTwiceDoesNothingTheSecondTime() throws {
        let url = try TestPostgres.freshDatabase()
        let first = try PostgresStore.migrate(connectionString: url)
        #expect(first.from == 0 && first.to == CertifierSchema.schema.version)
        let second = try PostgresStore.migrate(connectionString: url)
        #expect(second.from == CertifierSchema.schema.version && second.to == CertifierSchema.schema.version)
        _ = try PostgresStore(connectionString: url)
    }

    @Test func aStoreOfAnotherSchemaVersionIsRefusedNamingBoth() throws {
        let url = try TestPostgres.freshDatabase()
        let unmigrated = try #require(throws: CertifierError.self) { try PostgresStore(connectionString: url) }
        #expect(unmigrated.code == .storeSchema)
        #expect(unmigrated.message.contains("holds no certifier schema"))
        #expect(unmigrated.message.contains("run `cml-certifier migrate --store URL` first"))

        _ = try PostgresStore.migrate(connectionString: url)
        let known = CertifierSchema.schema.version
        let connection = try PostgresConnection(url)
        try connection.execute("UPDATE schema_version SET version = $1 WHERE component = 'certifier'", [.int(known + 1)])
        let newer = try #require(throws: CertifierError.self) { try PostgresStore(connectionString: url) }
        #expect(newer.message.contains("holds certifier schema version \(known + 1), newer than version \(known), which this program knows"))
        #expect(throws: CertifierError.self) { try PostgresStore.migrate(connectionString: url) }

    }

    @Test func aNonceIssuedByOneReplicaIsRedeemedAtAnotherOnce() throws {
        let (_, first, second) = try replicas()
        let now = Date()
        let issued = try first.issueNonce(to: 1, now: now, lifetime: 60)
        #expect(try second.redeemNonce(for: 99, presented: issued.nonce, now: now) == .success(issued.nonce))
        // The connection it was issued on, at the first replica: used already.
        #expect(try first.redeemNonce(for: 1, presented: nil, now: now) == .failure(.reused))
        #expect(try second.redeemNonce(for: 99, presented: issued.nonce, now: now) == .failure(.reused))
        #expect(try second.redeemNonce(for: 99, presented: [UInt8](repeating: 7, count: 32), now: now) == .failure(.unknown))
        #expect(try second.redeemNonce(for: 5, presented: nil, now: now) == .failure(.unknown))
        let late = try first.issueNonce(to: 2, now: now, lifetime: 60)
        let expired = try second.redeemNonce(for: 3, presented: late.nonce, now: now + 61)
        guard case .failure(.expired(let expiry)) = expired else {
            Issue.record("a nonce redeemed after its expiry: \(expired)")
            return
        }
        // The database keeps microseconds.
        #expect(abs(expiry.timeIntervalSince(late.expires)) < 0.000_01)
    }

    @Test func racingReplicasRedeemEachNonceExactlyOnce() throws {
        let (_, first, second) = try replicas()
        let nonces = try (0..<40).map { owner in try first.issueNonce(to: UInt64(owner), now: Date(), lifetime: 60).nonce }
        let successes = Atomic(0)
        let failures = Atomic(0)
        // Each nonce redeemed four times at once, twice at each replica.
        DispatchQueue.concurrentPerform(iterations: nonces.count * 4) { index in
            let store = index % 2 == 0 ? first : second
            let result = try? store.redeemNonce(for: 1000, presented: nonces[index / 4], now: Date())
            if case .success = result { successes.add(1, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
        }
        #expect(successes.load(ordering: .relaxed) == nonces.count)
        #expect(failures.load(ordering: .relaxed) == nonces.count * 3)
    }

    @Test func anAdmissionSerialIsRecordedOnceWithItsSecretIDs() throws {
        let (url, first, second) = try replicas()
        let entry = AuditEntry(
            date: Date(), peer: "127.0.0.1:1", role: "runtime", measurement: "ab", decision: .admitted, serial: "0a0b", expires: Date() + 3600)
        try first.recordAdmission(entry, released: [try SecretID(role: "runtime", name: "sealing")])
        let again = try #require(throws: CertifierError.self) { try second.recordAdmission(entry, released: []) }
        #expect(again.message.contains("serial 0a0b was issued already"))
        #expect(try second.issuedAdmissions().entries.map(\.serial) == ["0a0b"])
        #expect(try first.auditEntries(since: nil).count == 1)
        let released = try PostgresConnection(url).execute("SELECT serial, secret FROM certifier_released_secrets").rows
        #expect(try released.map { try $0.text("secret") } == ["runtime:sealing"])
    }

    @Test func aRevocationThroughOneReplicaIsTheOthersList() throws {
        let (_, first, second) = try replicas()
        #expect(try second.revocations().version == 0)
        let entry = RevocationList.Entry(serial: "0a0b", reason: "test", revoked: 1)
        #expect(try first.revoke([entry], now: Date()).version == 1)
        #expect(try second.revocations().isRevoked(serialHex: "0a0b"))
        // Revoking it again through the other changes nothing.
        #expect(try second.revoke([entry], now: Date()).version == 1)
    }

    @Test func theAuditTableReadsFromATime() throws {
        let (_, first, second) = try replicas()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let policy = AuditEntry.PolicyName(name: "p", sha256: [1])
        try first.append(AuditEntry(date: start, event: .start, policy: policy))
        try second.append(AuditEntry(date: start + 10, event: .start, policy: policy))
        try first.append(AuditEntry(date: start + 20, event: .stop, policy: policy))
        #expect(try second.auditEntries(since: nil).count == 3)
        #expect(try first.auditEntries(since: start + 10).map(\.event) == [.start, .stop])
    }

    @Test func anAnchorAdvancedThroughOneReplicaIsTheOthersAndRacesHaveOneWinner() throws {
        let (_, first, second) = try replicas()
        let one = AnchorState(version: 1, digest: [UInt8](repeating: 1, count: 32))
        #expect(try first.anchors.advance(federation: "fed", from: nil, to: one) == true)
        #expect(try second.anchors.read(federation: "fed") == one)
        // A repeated advance whose answer was lost: already there.
        #expect(try second.anchors.advance(federation: "fed", from: nil, to: one) == false)
        #expect(throws: AnchorStore.AdvanceError.self) {
            try second.anchors.advance(federation: "fed", from: nil, to: AnchorState(version: 1, digest: [UInt8](repeating: 9, count: 32)))
        }
        // Twenty advances from version 1 to different version 2 anchors at once: exactly one wins.
        let wins = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 20) { index in
            let store = index % 2 == 0 ? first : second
            let two = AnchorState(version: 2, digest: [UInt8](repeating: UInt8(index + 10), count: 32))
            if (try? store.anchors.advance(federation: "fed", from: one, to: two)) != nil { wins.add(1, ordering: .relaxed) }
        }
        #expect(wins.load(ordering: .relaxed) == 1)
        #expect(try first.anchors.read(federation: "fed")?.version == 2)
        #expect(try first.anchors.read(federation: "other") == nil)
        // The counter's top half survives the int8 column.
        let high = AnchorState(version: UInt64.max - 1, digest: [UInt8](repeating: 3, count: 32))
        #expect(try first.anchors.advance(federation: "high", from: nil, to: high) == true)
        #expect(try second.anchors.read(federation: "high") == high)
    }

    @Test func anAnchorRowRolledBackOrDeletedUnderALiveReplicaIsRefused() throws {
        let (url, first, second) = try replicas()
        let one = AnchorState(version: 1, digest: [UInt8](repeating: 1, count: 32))
        let two = AnchorState(version: 2, digest: [UInt8](repeating: 2, count: 32))
        #expect(try first.anchors.advance(federation: "fed", from: nil, to: one) == true)
        #expect(try first.anchors.advance(federation: "fed", from: one, to: two) == false)
        #expect(try second.anchors.read(federation: "fed") == two)
        // The database's host puts version 1 back, as restoring an older dump would.
        let host = try PostgresConnection(url)
        try host.execute("UPDATE certifier_anchors SET version = 1, digest = $1 WHERE federation = 'fed'", [.bytes(one.digest)])
        for store in [first, second] {
            let refused = #expect(throws: CertifierError.self) { try store.anchors.read(federation: "fed") }
            #expect(refused?.message.contains("holds version 1") == true)
            #expect(refused?.message.contains("saw version 2") == true)
            #expect(refused?.message.contains("rolled back or deleted") == true)
        }
        // Nor does it build on it: an advance from the rolled-back anchor is refused, not applied.
        #expect(throws: AnchorStore.AdvanceError.self) {
            try first.anchors.advance(federation: "fed", from: one, to: AnchorState(version: 2, digest: [UInt8](repeating: 7, count: 32)))
        }
        #expect(try host.execute("SELECT version FROM certifier_anchors WHERE federation = 'fed'").rows.first?.int("version") == 1)
        try host.execute("DELETE FROM certifier_anchors WHERE federation = 'fed'")
        let gone = #expect(throws: CertifierError.self) { try second.anchors.read(federation: "fed") }
        #expect(gone?.message.contains("holds no anchor") == true)
        // A replica started after the rollback has seen nothing newer: it cannot tell (docs/scale.md).
        #expect(try PostgresStore(connectionString: url).anchors.read(federation: "fed") == nil)
    }
}
