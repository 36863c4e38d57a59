import ByteKit
import Channel
import Dispatch
import Foundation
import PQKit
import Policy
import Privacy
import Protocol
@testable import Runtime
import Synchronization
import TestSupport
import Testing
import WordModel

/// FL replicas sharing rounds through one PostgreSQL database (docs/scale.md), in process: each
/// `SharedFederation` is what one `cml-runtime serve --store postgresql://...` runs.
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct SharedFederationTests {
    /// A fresh migrated database, the anchor (the certifier's, shared by all replicas) and the log of every replica.
    final class Database: Sendable {
        let url: String
        let logs = LogRecords()
        let anchor = MemoryAnchor()
        private let started = Mutex<[SharedFederation]>([])

        init() throws {
            url = try TestPostgres.freshDatabase()
            _ = try RuntimeDatabase.migrate(url)
        }

        deinit {
            for replica in started.withLock({ $0 }) { replica.stop() }
        }

        /// Replicas `names` of federation "test" (stopped with the database), the first given the initial
        /// model, each serving it.
        func serving(_ names: [String], minUpdates: Int = 3) throws -> [SharedFederation] {
            let replicas = try names.map { try replica($0, minUpdates: minUpdates) }
            _ = try replicas[0].setInitial(initialModel.bytes, validation: nil)
            for replica in replicas { #expect(eventually { (try? replica.currentGlobal().blob.id) == initialModel.id }) }
            return replicas
        }

        /// Replica `name` of federation `federation`, counting one update per certificate.
        func replica(_ name: String, federation: String = "test", minUpdates: Int = 3) throws -> SharedFederation {
            let rules = try FederationRules(FederatedSettings(minUpdates: minUpdates, quorum: 1, roundDeadlineSeconds: 600, oneUpdatePer: .certificate))
            let replica = try SharedFederation(
                pool: RuntimeDatabase.open(url), federation: federation, replica: name, sealingSecret: Array(repeating: 9, count: 32), rules: rules,
                anchor: anchor, logger: logs.logger(label: name, level: .info), pollInterval: .milliseconds(50))
            started.withLock { $0.append(replica) }
            return replica
        }

        /// Runs `sql` on the database, as its host can.
        @discardableResult
        func sql(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresResult {
            try PostgresConnection(url).execute(sql, parameters)
        }

        /// The log lines of every replica that contain `text`.
        func logged(_ text: String) -> [String] { logs.messages.filter { $0.contains(text) } }
    }

    /// An update of `round` whose model is `weights` (the initial ones by default), claiming `samples`.
    static func update(round: UInt64, scale: Float = 1, samples: UInt64 = 1) throws -> UpdateRequest {
        let weights = try ModelWeights(parameters: initialModel.model.weights.parameters.map { $0 * scale })
        return UpdateRequest(round: round, model: ModelBlob.encode(Model(weights: weights, round: round, samples: samples)), samples: samples)
    }

    /// A replica "a" (min-updates 2) that acknowledged an update of device 0a, then `sql` run by the database's host.
    static func acknowledged(thenRun sql: String) throws -> (Database, SharedFederation, UpdateRequest) {
        let database = try Database()
        let a = try database.serving(["a"], minUpdates: 2)[0]
        let update = try Self.update(round: 0, scale: 0.5)
        _ = try a.update(update, from: "0a")
        try database.sql(sql)
        return (database, a, update)
    }

    @Test func updatesSentToEitherReplicaCountOncePerVoiceAndBothServeTheRoundsGlobal() throws {
        let database = try Database()
        let (a, b) = try database.serving(["a", "b"]).pair
        let first = try Self.update(round: 0, scale: 0.5)
        _ = try a.update(first, from: "0a")
        // A retry after a lost acknowledgement, at the other replica: acknowledged again, not counted again.
        #expect(try b.update(first, from: "0a").id == ModelBlob(received: first.model).id)
        let other = #expect(throws: ChannelError.self) { try b.update(try Self.update(round: 0, scale: 0.25), from: "0a") }
        #expect(other?.code == .duplicateUpdate)
        #expect(try database.sql("SELECT count(*) AS n FROM runtime_updates").rows.first?.int("n") == 1)
        _ = try b.update(try Self.update(round: 0, scale: 0.75), from: "0b")
        a.closeIfDue()
        #expect(a.round == 0, "two voices of three: not due")
        _ = try a.update(try Self.update(round: 0, scale: 1.0), from: "0c")
        a.closeIfDue()
        b.closeIfDue()
        #expect(a.round == 1)
        #expect(eventually { b.round == 1 })
        #expect(try a.currentGlobal().blob.id == b.currentGlobal().blob.id)
        // FedAvg of 0.5, 0.75 and 1.0 times the initial weights, equal samples: 0.75 times them.
        let expected = initialModel.model.weights.parameters.map { $0 * 0.75 }
        let served = try b.currentGlobal().blob.model.weights.parameters
        #expect(zip(served, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        #expect(database.logged("round 0 closed by replica").count == 1)
        #expect(try database.sql("SELECT count(*) AS n FROM runtime_updates").rows.first?.int("n") == 0)
        #expect(database.anchor.stored(federation: "test")?.version == 2)
    }

    @Test func manyThreadsAtTwoReplicasCloseEachRoundOnceWithEveryAcknowledgedUpdateInOneAggregate() throws {
        let database = try Database()
        let replicas = try database.serving(["a", "b"], minUpdates: 10)
        let acknowledged = Mutex(0)
        let voices = 200
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in stride(from: thread, to: voices, by: 8) {
                let replica = replicas[index % 2]
                let serial = String(format: "%04x", index + 1)
                for _ in 0..<200 {
                    let round = replica.round
                    do {
                        _ = try replica.update(try Self.update(round: round), from: serial)
                        acknowledged.withLock { $0 += 1 }
                        replica.closeIfDue()
                        break
                    } catch let error as ChannelError where error.code == .wrongRound || error.code == .unavailable {
                        // The round closed meanwhile: wait for this replica to serve the next one, then send again.
                        _ = eventually(timeout: .seconds(10)) { replica.round > round }
                    } catch {
                        Issue.record("update of \(serial): \(error)")
                        break
                    }
                }
            }
        }
        #expect(acknowledged.withLock { $0 } == voices)
        for replica in replicas { replica.closeIfDue() }
        let closes = database.logged(" closed by replica ").filter { $0.hasPrefix("---- round ") }
        let rounds = closes.compactMap { Int($0.dropFirst("---- round ".count).prefix { $0 != " " }) }
        let counts = closes.compactMap { line -> Int? in
            guard let range = line.range(of: " of round ") else { return nil }
            let after = line[range.upperBound...].drop { $0 != "(" }.dropFirst()
            return Int(after.prefix { $0 != " " })
        }
        // Each round closed exactly once, in order, and no aggregate lost or repeated an acknowledged update.
        #expect(rounds == Array(0..<rounds.count), "\(closes)")
        let open = try database.sql("SELECT count(*) AS n FROM runtime_updates").rows.first?.int("n") ?? -1
        #expect(counts.reduce(0, +) + Int(open) == voices, "\(closes), \(open) open")
        #expect(counts.allSatisfy { $0 >= 10 })
        #expect(rounds.count >= 15, "\(rounds.count) rounds of at least 10 of 200 updates")
    }

    @Test func anUpdateRowWhoseSealedBytesWereChangedIsRefusedNamingItsRoundAndReplica() throws {
        let (database, a, first) = try Self.acknowledged(thenRun: "UPDATE runtime_updates SET sealed = set_byte(sealed, 40, (get_byte(sealed, 40) + 1) % 256)")
        // The device's retry finds its row refused, never taken for its update.
        let retry = #expect(throws: ChannelError.self) { try a.update(first, from: "0a") }
        #expect(retry?.code == .internal)
        let named = "the update row of federation \"test\", round 0, written by replica a: refused"
        #expect(retry?.message.contains(named) == true, "\(retry?.message ?? "")")
        _ = try a.update(try Self.update(round: 0), from: "0b")
        a.closeIfDue()
        #expect(a.round == 0, "the altered row is not aggregated, and the update it held was acknowledged: the round does not close")
        #expect(!database.logged(named).isEmpty)
        #expect(!database.logged("round 0 does not close: 1 update this replica acknowledged is missing from the database").isEmpty)
    }

    @Test func aGlobalRowCopiedToAnotherFederationIsRefused() throws {
        let database = try Database()
        _ = try database.serving(["a"])
        try database.sql(
            "INSERT INTO runtime_federations SELECT 'other', round, opened, global, digest, previous, replica FROM runtime_federations WHERE federation = 'test'")
        let refused = #expect(throws: RuntimeError.self) { try database.replica("b", federation: "other") }
        #expect(refused?.code == .sealedFileCorrupt)
        #expect(refused?.message.hasPrefix("the global model row of federation \"other\", round 0, written by replica a: refused") == true, "\(refused?.message ?? "")")
    }

    @Test func rowsRestoredFromAnOlderCopyUnderLiveReplicasAreRefusedNotServed() throws {
        let database = try Database()
        let (a, b) = try database.serving(["a", "b"], minUpdates: 1).pair
        // The host's older dump: the federation at round 0.
        try database.sql("CREATE TABLE saved_federations AS SELECT * FROM runtime_federations")
        try database.sql("CREATE TABLE saved_updates AS SELECT * FROM runtime_updates")
        _ = try b.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        b.closeIfDue()
        #expect(b.round == 1)
        #expect(eventually { a.round == 1 })
        let served = try a.currentGlobal().blob.id
        // Restored, in one transaction as a dump's restore.
        try PostgresConnection(database.url).transaction { connection throws(PostgresError) in
            try connection.execute("DELETE FROM runtime_federations")
            try connection.execute("INSERT INTO runtime_federations SELECT * FROM saved_federations")
            try connection.execute("INSERT INTO runtime_updates SELECT * FROM saved_updates")
        }
        for replica in [a, b] {
            #expect(eventually { (try? replica.currentGlobal()) == nil })
            let refused = #expect(throws: ChannelError.self) { try replica.currentGlobal() }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("rolled back") == true)
            let update = #expect(throws: ChannelError.self) { try replica.update(try Self.update(round: 0), from: "0b") }
            #expect(update?.code == .unavailable)
        }
        #expect(eventually { database.logged("is at round 0 (digest").count == 2 }, "each replica logs the rollback once: \(database.logs.messages)")
        #expect(served != initialModel.id)
        // A replica starting on the restored rows is refused by the anchor.
        let restart = #expect(throws: RuntimeError.self) { try database.replica("c") }
        #expect(restart?.code == .staleState)
        #expect(restart?.message.contains("anchors round 1") == true, "\(restart?.message ?? "")")
    }

    @Test func aDeletedAcknowledgedUpdateStopsTheCloseThatWouldLoseIt() throws {
        let (database, a, deleted) = try Self.acknowledged(thenRun: "DELETE FROM runtime_updates")
        _ = try a.update(try Self.update(round: 0), from: "0b")
        _ = try a.update(try Self.update(round: 0, scale: 2), from: "0c")
        a.closeIfDue()
        #expect(a.round == 0)
        let id = try ModelBlob(received: deleted.model).id
        #expect(
            !database.logged(
                "round 0 does not close: 1 update this replica acknowledged is missing from the database (rows deleted or rolled back): update \(id.prefix(8)) of device 0a"
            ).isEmpty, "\(database.logs.messages)")
    }

    @Test func aGlobalModelClosedElsewhereWithoutAnUpdateThisReplicaAcknowledgedIsNotServed() throws {
        let database = try Database()
        let (a, b) = try database.serving(["a", "b"], minUpdates: 2).pair
        _ = try a.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        try database.sql("DELETE FROM runtime_updates")
        // Replica b never saw the update a acknowledged: it closes the round without it.
        _ = try b.update(try Self.update(round: 0), from: "0b")
        _ = try b.update(try Self.update(round: 0, scale: 2), from: "0c")
        b.closeIfDue()
        #expect(b.round == 1)
        #expect(eventually { database.logged("leaves out 1 update this replica acknowledged (device 0a: rows deleted or rolled back)").count == 1 })
        let refused = #expect(throws: ChannelError.self) { try a.currentGlobal() }
        #expect(refused?.code == .unavailable)
        #expect(a.round == 0, "a still serves nothing newer than round 0")
    }

    @Test func twoFederationsInOneDatabaseCloseTheirRoundsWithTheirOwnUpdatesOnly() throws {
        let database = try Database()
        let alpha = try database.replica("a", federation: "alpha", minUpdates: 2)
        let beta = try database.replica("b", federation: "beta", minUpdates: 2)
        _ = try alpha.setInitial(initialModel.bytes, validation: nil)
        let betaInitial = ModelBlob(model: Model(weights: try ModelWeights(parameters: initialModel.model.weights.parameters.map { $0 * 3 }), round: 0, samples: 1))
        _ = try beta.setInitial(betaInitial.bytes, validation: nil)
        _ = try alpha.update(try Self.update(round: 0, scale: 0.5), from: "0a")
        _ = try beta.update(try Self.update(round: 0, scale: 2), from: "0a")
        alpha.closeIfDue()
        beta.closeIfDue()
        #expect(alpha.round == 0 && beta.round == 0, "one update each: neither is due, whatever the other holds")
        _ = try alpha.update(try Self.update(round: 0, scale: 1.5), from: "0b")
        alpha.closeIfDue()
        #expect(alpha.round == 1 && beta.round == 0)
        let alphaWeights = try alpha.currentGlobal().blob.model.weights.parameters
        #expect(zip(alphaWeights, initialModel.model.weights.parameters).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "mean of 0.5 and 1.5")
        _ = try beta.update(try Self.update(round: 0, scale: 4), from: "0b")
        beta.closeIfDue()
        let betaWeights = try beta.currentGlobal().blob.model.weights.parameters
        #expect(zip(betaWeights, initialModel.model.weights.parameters).allSatisfy { abs($0 - 3 * $1) <= 1e-5 * max(1, abs(3 * $1)) }, "mean of 2 and 4")
        #expect(database.logged("(2 updates").count == 2)
    }

    @Test func thePrivacyPolicyIsRefusedWithTheDatabaseStore() throws {
        let database = try Database()
        let rules = try FederationRules(
            FederatedSettings(
                minUpdates: 2, quorum: 1, roundDeadlineSeconds: 600,
                privacy: PrivacySettings(clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.5, expectedUpdates: 10, delta: 1e-5, maxEpsilon: 10), oneUpdatePer: .certificate))
        let refused = #expect(throws: RuntimeError.self) {
            try SharedFederation(
                pool: RuntimeDatabase.open(database.url), federation: "test", replica: "a", sealingSecret: Array(repeating: 9, count: 32), rules: rules,
                anchor: nil, logger: database.logs.logger())
        }
        #expect(refused?.code == .policyUnusable)
        #expect(refused?.message.contains("fl.privacy") == true)
    }
}

extension Array {
    /// The first two elements.
    fileprivate var pair: (Element, Element) { (self[0], self[1]) }
}
