import ByteKit
import Channel
import Dispatch
import Foundation
import PQKit
import Policy
import Protocol
@testable import Runtime
import Synchronization
import TestSupport
import Testing
import WordModel

/// The database store attacked as its host can (docs/scale.md, "Freshness: the database is the host's"):
/// rows read, changed, swapped, replayed, forged, deleted, restored and locked with SQL on the side while
/// replicas run. Each test names what the host did and what the replicas must do: refuse and name it,
/// never serve it, never lose or double an acknowledged update.
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct SharedStoreAttackTests {
    typealias Database = SharedFederationTests.Database

    static func update(round: UInt64, scale: Float = 1) throws -> UpdateRequest {
        try SharedFederationTests.update(round: round, scale: scale)
    }

    /// Replica `name` of federation "test" that polls only when told (no poller races the test's steps).
    static func quiet(_ database: Database, _ name: String, minUpdates: Int) throws -> SharedFederation {
        let rules = try FederationRules(FederatedSettings(minUpdates: minUpdates, quorum: 1, roundDeadlineSeconds: 600, oneUpdatePer: .certificate))
        return try SharedFederation(
            pool: RuntimeDatabase.open(database.url), federation: "test", replica: name, sealingSecret: Array(repeating: 9, count: 32), rules: rules,
            anchor: database.anchor, logger: database.logs.logger(label: name, level: .info), pollInterval: .seconds(3600))
    }

    static let rowRefused = "the update row of federation \"test\", round 0, written by replica a: refused"

    // MARK: Update rows

    /// The host swaps the sealed blobs (or the voices) of two acknowledged updates of one round: neither
    /// opens where it now is, so neither is aggregated, and the replica that acknowledged them will not
    /// close the round without them; another replica finds too few updates that open to close it.
    @Test(arguments: [
        ["UPDATE runtime_updates u SET sealed = o.sealed FROM runtime_updates o WHERE u.federation = o.federation AND u.round = o.round AND u.voice <> o.voice"],
        [
            "UPDATE runtime_updates SET voice = voice || '\\x00'::bytea",
            """
            UPDATE runtime_updates u SET voice = substring(o.voice from 1 for length(o.voice) - 1) FROM runtime_updates o
            WHERE u.federation = o.federation AND u.round = o.round AND u.voice <> o.voice
            """,
        ],
    ])
    func twoUpdateRowsSwappedAreRefusedAndTheRoundDoesNotCloseWithoutThem(swap: [String]) throws {
        let database = try Database()
        let replicas = try database.serving(["a", "b"], minUpdates: 3)
        let (a, b) = (replicas[0], replicas[1])
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        _ = try a.update(try Self.update(round: 0, scale: 0.75), from: "0b")
        try PostgresConnection(database.url).transaction { connection throws(PostgresError) in
            for statement in swap { try connection.execute(statement) }
        }
        _ = try b.update(try Self.update(round: 0), from: "0c")
        b.closeIfDue()
        a.closeIfDue()
        #expect(a.round == 0 && b.round == 0, "three rows, one of which opens: not due; and a acknowledged the two others")
        #expect(!database.logged(Self.rowRefused).isEmpty)
        #expect(!database.logged("round 0 does not close: 2 updates this replica acknowledged are missing from the database").isEmpty)
    }

    /// The `replica` column changed: the row does not open (the writer is bound in); the `kind` column
    /// changed: the row drops out of the round like a deleted one, and the close that would lose it refuses.
    @Test func anUpdateRowsReplicaOrKindColumnChangedIsRefusedOrMissed() throws {
        let (moved, a, first) = try SharedFederationTests.acknowledged(thenRun: "UPDATE runtime_updates SET replica = 'b'")
        let retry = #expect(throws: ChannelError.self) { try a.update(first, from: "0a") }
        #expect(retry?.message.contains("the update row of federation \"test\", round 0, written by replica b: refused") == true, "\(retry?.message ?? "")")
        _ = try a.update(try Self.update(round: 0), from: "0b")
        a.closeIfDue()
        #expect(a.round == 0)
        #expect(!moved.logged("round 0 does not close: 1 update this replica acknowledged is missing").isEmpty)

        let (hidden, c, _) = try SharedFederationTests.acknowledged(thenRun: "UPDATE runtime_updates SET kind = 'not-sampled'")
        _ = try c.update(try Self.update(round: 0), from: "0b")
        _ = try c.update(try Self.update(round: 0, scale: 2), from: "0c")
        c.closeIfDue()
        #expect(c.round == 0)
        #expect(!hidden.logged("round 0 does not close: 1 update this replica acknowledged is missing").isEmpty)
    }

    /// A closed round's update row put back into the open round (its round column set to it) does not
    /// open there, and is not counted toward the close; put back at its own round, it is ignored.
    @Test func aClosedRoundsUpdateReplayedIntoTheOpenRoundIsRefused() throws {
        let database = try Database()
        let a = try database.serving(["a"], minUpdates: 2)[0]
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        try database.sql("CREATE TABLE saved AS SELECT * FROM runtime_updates")
        _ = try a.update(try Self.update(round: 0, scale: 1.5), from: "0b")
        a.closeIfDue()
        #expect(a.round == 1)
        try database.sql("INSERT INTO runtime_updates SELECT federation, 1, voice, kind, replica, sealed FROM saved")
        try database.sql("INSERT INTO runtime_updates SELECT * FROM saved")
        _ = try a.update(try Self.update(round: 1), from: "0b")
        a.closeIfDue()
        #expect(a.round == 1, "one update of round 1 opens: not due")
        #expect(!database.logged("the update row of federation \"test\", round 1, written by replica a: refused").isEmpty)
        // The replayed row holds device 0a's voice in round 1: its update there is refused, naming the row, not taken for it.
        let blocked = #expect(throws: ChannelError.self) { try a.update(try Self.update(round: 1, scale: 3), from: "0a") }
        #expect(blocked?.message.contains("round 1, written by replica a: refused") == true)
        _ = try a.update(try Self.update(round: 1, scale: 2), from: "0c")
        a.closeIfDue()
        #expect(a.round == 2)
        #expect(database.logged("---- round 1 closed by replica a").first?.contains("(2 updates") == true, "\(database.logs.messages)")
    }

    /// A row for a voice no device sent: the host has no key, so it does not open, is named, and does
    /// not make the round due; the round closes on real updates only.
    @Test func aForgedUpdateRowIsRefusedAndNotCounted() throws {
        let (database, a, _) = try SharedFederationTests.acknowledged(
            thenRun: "INSERT INTO runtime_updates VALUES ('test', 0, sha256('forged'::bytea), 'update', 'a', sha256('x'::bytea) || sha256('y'::bytea))")
        a.closeIfDue()
        #expect(a.round == 0)
        #expect(!database.logged(Self.rowRefused).isEmpty)
        _ = try a.update(try Self.update(round: 0, scale: 2), from: "0b")
        a.closeIfDue()
        #expect(a.round == 1)
        #expect(database.logged("---- round 0 closed by replica a").first?.contains("(2 updates") == true, "\(database.logs.messages)")
    }

    // MARK: The federation row

    /// The row's round set forward (a skipped round) does not open: updates get `unavailable` naming the
    /// row, never `wrong-round` sending the device to the forged round; set back to it, serving resumes;
    /// set back below a round the replica verified, it is a rollback.
    @Test func theFederationRowsRoundMovedForwardOrBackIsRefused() throws {
        let database = try Database()
        let a = try database.serving(["a"], minUpdates: 2)[0]
        try database.sql("UPDATE runtime_federations SET round = round + 5")
        let skipped = #expect(throws: ChannelError.self) { try a.update(try Self.update(round: 0), from: "0a") }
        #expect(skipped?.code == .unavailable)
        #expect(skipped?.message.contains("the global model row of federation \"test\", round 5, written by replica a: refused") == true, "\(skipped?.message ?? "")")
        #expect(throws: ChannelError.self) { try a.currentGlobal() }
        try database.sql("UPDATE runtime_federations SET round = round - 5")
        #expect(eventually { (try? a.currentGlobal()) != nil })
        _ = try a.update(try Self.update(round: 0), from: "0a")
        _ = try a.update(try Self.update(round: 0, scale: 2), from: "0b")
        a.closeIfDue()
        #expect(a.round == 1)
        try database.sql("UPDATE runtime_federations SET round = 0")
        #expect(eventually { (try? a.currentGlobal()) == nil })
        let back = #expect(throws: ChannelError.self) { try a.update(try Self.update(round: 1), from: "0a") }
        #expect(back?.code == .unavailable)
    }

    /// Another global model of the same round, sealed by a real replica under the same secret on another
    /// database (a fork the host kept): live replicas refuse it as a replaced row, a start refuses it
    /// against the anchor.
    @Test func aGlobalOfTheSameRoundSealedElsewhereIsRefused() throws {
        let database = try Database()
        let a = try database.serving(["a"])[0]
        let elsewhere = try Database()
        let scaled = ModelBlob(model: Model(weights: try ModelWeights(parameters: initialModel.model.weights.parameters.map { $0 * 2 }), round: 0, samples: 1))
        _ = try elsewhere.replica("a").setInitial(scaled.bytes, validation: nil)
        let fork = try #require(try elsewhere.sql("SELECT global, digest FROM runtime_federations").rows.first)
        try database.sql("UPDATE runtime_federations SET global = $1, digest = $2", [.bytes(try #require(try fork.bytes("global"))), .bytes(try #require(try fork.bytes("digest")))])
        #expect(eventually { (try? a.currentGlobal()) == nil })
        let refused = #expect(throws: ChannelError.self) { try a.currentGlobal() }
        #expect(refused?.message.contains("rolled back") == true)
        let start = #expect(throws: RuntimeError.self) { try database.replica("b") }
        #expect(start?.code == .staleState)
    }

    /// The federation row deleted under live replicas: the provider's model sent again must not start the
    /// federation over (that would lower the replicas' freshness floor and take updates into a fork).
    @Test func theFederationRowDeletedUnderLiveReplicasIsNotStartedOver() throws {
        let database = try Database()
        let replicas = try database.serving(["a", "b"], minUpdates: 1)
        let (a, b) = (replicas[0], replicas[1])
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        a.closeIfDue()
        #expect(eventually { b.round == 1 })
        try database.sql("DELETE FROM runtime_federations")
        let again = #expect(throws: ChannelError.self) { try b.setInitial(initialModel.bytes, validation: nil) }
        #expect(again?.code == .unavailable)
        #expect(again?.message.contains("holds no row of federation \"test\"") == true, "\(again?.message ?? "")")
        #expect(try database.sql("SELECT count(*) AS n FROM runtime_federations").rows.first?.int("n") == 0, "nothing written over the deletion")
        for replica in [a, b] {
            for round: UInt64 in [0, 1] {
                let update = #expect(throws: ChannelError.self) { try replica.update(try Self.update(round: round), from: "0b") }
                #expect(update?.code == .unavailable)
            }
        }
    }

    /// A global model committed but not anchored (the anchor out of reach, or refusing a fork) takes no
    /// update: its round is not acknowledged into until the anchor holds it.
    @Test func noUpdateIsAcknowledgedIntoARoundTheAnchorDoesNotHold() throws {
        let database = try Database()
        let a = try database.serving(["a"], minUpdates: 1)[0]
        database.anchor.isAvailable = false
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        a.closeIfDue()
        #expect(try database.sql("SELECT round FROM runtime_federations").rows.first?.int("round") == 1, "round 0 closed in the database")
        let early = #expect(throws: ChannelError.self) { try a.update(try Self.update(round: 1), from: "0b") }
        #expect(early?.code == .unavailable)
        #expect(early?.message.contains("the global model of round 1 is not anchored yet") == true, "\(early?.message ?? "")")
        #expect(try database.sql("SELECT count(*) AS n FROM runtime_updates").rows.first?.int("n") == 0)
        database.anchor.isAvailable = true
        #expect(eventually { a.round == 1 })
        _ = try a.update(try Self.update(round: 1), from: "0b")
    }

    // MARK: Whole-database restores, locks, schema

    /// Every table restored to a dump taken before a close, and every replica restarted: the anchor (at a
    /// certifier outside this database) refuses each start, naming the anchored round.
    @Test func aRestoredDumpWithEveryReplicaRestartedIsRefusedByTheAnchor() throws {
        let database = try Database()
        let replicas = try database.serving(["a", "b"], minUpdates: 2)
        _ = try replicas[0].update(try Self.update(round: 0, scale: 0.5), from: "0a")
        try database.sql("CREATE TABLE saved_federations AS SELECT * FROM runtime_federations")
        try database.sql("CREATE TABLE saved_updates AS SELECT * FROM runtime_updates")
        _ = try replicas[1].update(try Self.update(round: 0, scale: 1.5), from: "0b")
        replicas[1].closeIfDue()
        #expect(eventually { replicas.allSatisfy { $0.round == 1 } })
        for replica in replicas { replica.stop() }
        try PostgresConnection(database.url).transaction { connection throws(PostgresError) in
            try connection.execute("DELETE FROM runtime_federations")
            try connection.execute("DELETE FROM runtime_updates")
            try connection.execute("INSERT INTO runtime_federations SELECT * FROM saved_federations")
            try connection.execute("INSERT INTO runtime_updates SELECT * FROM saved_updates")
        }
        for name in ["a", "b"] {
            let start = #expect(throws: RuntimeError.self) { try database.replica(name) }
            #expect(start?.code == .staleState)
            #expect(start?.message.contains("anchors round 1") == true, "\(start?.message ?? "")")
        }
    }

    /// The host holds a share lock on the federation row, so the close waits for it: meanwhile an update
    /// is acknowledged only once committed, and every acknowledged update is in the round's one aggregate.
    @Test func aCloseHeldByTheHostsLockLosesNoAcknowledgedUpdate() throws {
        let database = try Database()
        let a = try Self.quiet(database, "a", minUpdates: 2)
        let b = try Self.quiet(database, "b", minUpdates: 2)
        defer {
            a.stop()
            b.stop()
        }
        _ = try a.setInitial(initialModel.bytes, validation: nil)
        let host = try PostgresConnection(database.url)
        try host.execute("BEGIN")
        try host.execute("SELECT round FROM runtime_federations FOR SHARE")
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        _ = try a.update(try Self.update(round: 0, scale: 1.5), from: "0b")
        let waiting = { () throws -> Int64 in
            try database.sql(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).rows.first?.int("n") ?? 0
        }
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { a.closeIfDue() }
        #expect(try eventually { try waiting() == 1 }, "the close waits for the host's lock")
        let third = Outcome()
        let request = try Self.update(round: 0, scale: 2)
        DispatchQueue.global().async(group: group) {
            let outcome = Result { () throws(ChannelError) in try b.update(request, from: "0c") }
            third.result.withLock { $0 = outcome }
        }
        // The third update either commits beside the host's share lock or waits behind the close: wait for either.
        #expect(try eventually { try third.result.withLock { $0 != nil } || waiting() == 2 })
        #expect(a.round == 0, "no close while the host holds its lock")
        try host.execute("COMMIT")
        group.wait()
        #expect(a.round == 1)
        let acknowledged = 2 + (third.result.withLock { (try? $0?.get()) != nil } ? 1 : 0)
        if case .failure(let error) = third.result.withLock({ $0 }) { #expect(error.code == .wrongRound, "\(error)") }
        let closed = database.logged("---- round 0 closed by replica a")
        #expect(closed.count == 1)
        #expect(closed.first?.contains("(\(acknowledged) updates") == true, "\(closed)")
        #expect(try database.sql("SELECT count(*) AS n FROM runtime_updates").rows.first?.int("n") == 0)
    }

    /// What a background call answered, once it did.
    final class Outcome: Sendable {
        let result = Mutex<Result<UpdateAck, ChannelError>?>(nil)
    }

    /// The schema_version row edited by the host: a start refuses, naming the versions.
    @Test func anEditedSchemaVersionIsRefusedAtStart() throws {
        let database = try Database()
        try database.sql("UPDATE schema_version SET version = version + 1 WHERE component = 'runtime'")
        let refused = #expect(throws: RuntimeError.self) { try RuntimeDatabase.open(database.url) }
        #expect(refused?.code == .storeFailed)
        #expect(refused?.message.contains("holds runtime schema version 2, newer than version 1") == true, "\(refused?.message ?? "")")
    }

    /// Everything the host can read in the runtime's tables, as text: no model, update, word, device
    /// serial or platform in it.
    @Test func theTablesHoldNoModelWordOrDeviceInTheClear() throws {
        let database = try Database()
        let a = try database.serving(["a"], minUpdates: 5)[0]
        let serial = "cafe5e71a15e71a1"
        let update = try Self.update(round: 0, scale: 0.5)
        _ = try a.update(update, from: serial)
        let words = ["zebrafinch", "quillwort"]
        let store = try SharedModelStoreTests.store(database.url, replica: "a", federation: "test-ml", anchor: nil)
        _ = try store.change("the uploaded model") { _, _ in
            ModelChange(value: (), model: initialModel, validation: try? ValidationSet(words: words))
        }
        let rows = try database.sql(
            """
            SELECT t::text AS row FROM runtime_federations t UNION ALL SELECT t::text FROM runtime_updates t
            UNION ALL SELECT t::text FROM runtime_models t
            """
        ).rows.map { try $0.text("row") ?? "" }
        #expect(rows.count == 3)
        let text = rows.joined(separator: "\n").lowercased()
        let middle = { (bytes: [UInt8]) in Hex.encode(Array(bytes[bytes.count / 2..<bytes.count / 2 + 24])).lowercased() }
        for secret in [serial, Hex.encode(Array(serial.utf8)).lowercased()] + words + words.map({ Hex.encode(Array($0.utf8)).lowercased() }) {
            #expect(!text.contains(secret), "\(secret) in the clear")
        }
        #expect(!text.contains(middle(initialModel.bytes)), "the model in the clear")
        #expect(!text.contains(middle(update.model)), "the update in the clear")
    }

    // MARK: ML mode

    /// ML mode: an older row's sealed blob, with its digest and previous columns to match, put back at
    /// the current serial or one ahead: it does not open there (the serial is bound in), live or at start.
    @Test func anOlderModelRowReplayedWithMatchingColumnsIsRefused() throws {
        let (url, anchor, a) = try SharedModelStoreTests.uploaded()
        try SharedModelStoreTests.sql(url, "CREATE TABLE saved AS SELECT * FROM runtime_models")
        try SharedModelStoreTests.put(SharedModelStoreTests.model(round: 1), into: a)
        #expect(a.serial == 2)
        try SharedModelStoreTests.sql(
            url, "UPDATE runtime_models m SET sealed = s.sealed, digest = s.digest, previous = s.previous, replica = s.replica FROM saved s")
        let live = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(live?.code == .unavailable)
        let start = #expect(throws: RuntimeError.self) { try SharedModelStoreTests.store(url, replica: "c", anchor: anchor) }
        #expect(start?.message.contains("serial 2, written by replica a: refused: it does not open") == true, "\(start?.message ?? "")")
        try SharedModelStoreTests.sql(url, "UPDATE runtime_models SET serial = 3")
        let ahead = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(ahead?.message.contains("serial 3, written by replica a: refused") == true, "\(ahead?.message ?? "")")
        let change = #expect(throws: ChannelError.self) { try SharedModelStoreTests.put(SharedModelStoreTests.model(round: 2), into: a) }
        #expect(change?.code == .unavailable)
        #expect(a.current?.model.round == 1, "still the model of serial 2")
    }

    /// ML mode: the row deleted under a live replica; a change there is refused and writes nothing (no
    /// new serial 1 over the deletion).
    @Test func aDeletedModelRowTakesNoChange() throws {
        let (url, _, a) = try SharedModelStoreTests.uploaded()
        try SharedModelStoreTests.sql(url, "DELETE FROM runtime_models")
        let change = #expect(throws: ChannelError.self) { try SharedModelStoreTests.put(SharedModelStoreTests.model(round: 1), into: a) }
        #expect(change?.code == .unavailable)
        #expect(change?.message.contains("holds no model row") == true)
        #expect(try SharedModelStoreTests.sql(url, "SELECT count(*) AS n FROM runtime_models").rows.first?.int("n") == 0)
    }
}
