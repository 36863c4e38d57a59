import Channel
import Foundation
import OpenSSLKit
import PQKit
import Protocol
import Synchronization
import TestSupport
import Testing
import WordModel

/// Two `cml-runtime serve --mode fl` replicas sharing their rounds through PostgreSQL, and a thousand
/// attested devices in this process that know both (issue 15, "Failover").
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct ReplicaFailoverProcessTests {
    static let devices = 1000

    /// The devices of the test: device i's client, its update, and what happened to it. Device thread i
    /// is the only one that touches `clients[i]`.
    final class Fleet: @unchecked Sendable {
        let clients: [RuntimeClient]
        let updates: [ModelBlob]
        /// The replica that acknowledged each device's update.
        let acknowledgedBy = Mutex([Int: ServerAddress]())
        /// The devices that moved to another replica at least once, with the reasons.
        let moved = Mutex([Int: [String]]())
        /// The device whose update was sent again after the kill.
        let resent = Mutex<Int?>(nil)
        /// Left once the killed replica is dead: the second half of the devices waits for it.
        let killed = DispatchGroup()

        init(clients: [RuntimeClient], updates: [ModelBlob]) {
            self.clients = clients
            self.updates = updates
            killed.enter()
        }

        func acknowledgements(by address: ServerAddress) -> Int {
            acknowledgedBy.withLock { $0.values.filter { $0 == address }.count }
        }
    }

    /// What one device ended with: the replica that acknowledged its update and the global model it got.
    struct Outcome: Sendable {
        let acknowledgedBy: ServerAddress
        let global: ModelReply
    }

    @Test func aReplicaKilledMidRoundLosesNoAcknowledgedUpdateAndCountsNoneTwice() throws {
        let count = Self.devices
        let store = try TestPostgres.freshDatabase()
        // The round waits for every device: no deadline, quorum and min-updates all of them; every device
        // runs on platform 1, so voices are counted per certificate and the platform may hold them all.
        let domain = try AdmittedDomain(template: "fl") {
            $0.replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": \(count),\n    \"one-update-per\": \"certificate\"")
                .replacingOccurrences(of: "\"quorum\": 1,", with: "\"quorum\": \(count),")
                .replacingOccurrences(of: "\"round-deadline-seconds\": 60", with: "\"round-deadline-seconds\": 3600")
                .replacingOccurrences(of: "\"channels\": [", with: "\"limits\": {\"connections-per-platform\": 4096},\n  \"channels\": [")
        }
        let policy = try String(contentsOfFile: domain.path("policy.json"), encoding: .utf8)
        try #require(policy.contains("\"quorum\": \(count),") && policy.contains("\"connections-per-platform\": 4096"), "\(policy)")
        try domain.admit("provider")
        try AdmittedDomain.check(try Executables.run("cml-runtime", ["migrate", "--store", store]))
        let (first, firstPort) = try domain.startRuntime(mode: "fl", store: store, replica: "a")
        defer { first.stop() }
        let (second, secondPort) = try domain.startRuntime(mode: "fl", store: store, replica: "b")
        defer { second.stop() }
        let a = ServerAddress(host: "127.0.0.1", port: firstPort), b = ServerAddress(host: "127.0.0.1", port: secondPort)

        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "2", "--out", model]))
        try AdmittedDomain.check(try Executables.run("cml-provider", ["send", "--runtime", "\(a)", "--state", domain.state("provider"), model]))
        let initial = try ModelBlob.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: model))))

        // Even devices know the replicas as "a, b", odd ones as "b, a": each half starts at its own.
        let contexts = try AttestedDevices.admit(count, in: domain)
        var random = SeededGenerator(seed: 15)
        let fleet = Fleet(
            clients: contexts.enumerated().map { index, context in
                RuntimeClient(
                    addresses: index % 2 == 0 ? [a, b] : [b, a], context: context,
                    configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(120)))
            },
            updates: (0..<count).map { _ in
                let parameters = initial.weights.parameters.map { $0 + Float(random.nextUniform(-0.01, 0.01)) }
                return ModelBlob(model: Model(weights: (try? ModelWeights(parameters: parameters)) ?? initial.weights, samples: 2))
            })
        for (index, client) in fleet.clients.enumerated() {
            client.failover.onMove = { [fleet] from, to, reason, _ in fleet.moved.withLock { $0[index, default: []].append("\(from) -> \(to): \(reason)") } }
        }
        // Every device connects first: those of a hold a connection to the replica about to die.
        _ = try concurrently(32) { worker in
            for index in stride(from: worker, to: count, by: 32) { try fleet.clients[index].connect() }
        }

        // The first half sends; once a acknowledged a hundred of them it is killed (its other devices of
        // the first half may be sending right then); then the second half sends. Every device then waits
        // for round 1's global model, at whichever replica it reaches.
        let half = count / 2
        let killedAfter = 100
        let results = concurrentResults(count + 1, stackSize: 512 << 10) { index -> Outcome? in
            if index == count {
                defer { fleet.killed.leave() }
                guard eventually(timeout: .seconds(300), { fleet.acknowledgements(by: a) >= killedAfter }) else {
                    throw ProcessFailure("replica a did not acknowledge \(killedAfter) updates")
                }
                guard first.end(with: SIGKILL) == SIGKILL else { throw ProcessFailure("replica a did not die of SIGKILL") }
                // A device whose update a acknowledged sends it again, to b, as one whose acknowledgement
                // was lost in the kill would: b acknowledges it again (the round cannot close before the
                // second half sends, so it is still open), and below it counts once.
                guard let resent = fleet.acknowledgedBy.withLock({ $0.first { $0.value == a }?.key }) else {
                    throw ProcessFailure("no update acknowledged by a")
                }
                let again = try RuntimeClient(addresses: [b], context: contexts[resent]).update(round: 0, model: fleet.updates[resent], samples: 2)
                guard again.id == fleet.updates[resent].id, again.round == 0 else { throw ProcessFailure("b acknowledged \(again.id) of round \(again.round)") }
                fleet.resent.withLock { $0 = resent }
                return nil
            }
            if index >= half { fleet.killed.wait() }
            let client = fleet.clients[index]
            _ = try client.update(round: 0, model: fleet.updates[index], samples: 2)
            guard let replica = client.replicas.address else { throw ProcessFailure("device \(index) has no replica address") }
            fleet.acknowledgedBy.withLock { $0[index] = replica }
            return Outcome(acknowledgedBy: replica, global: try client.awaitGlobal(round: 1, timeout: .seconds(300)))
        }
        let outcomes = try results.map { try $0.get() }.dropLast().map { try #require($0) }
        try #require(outcomes.count == count)
        #expect(!first.isRunning)

        // Every device holds the same global model of round 1, made of all 1,000 updates once each
        // (2 samples each: a second count of any update would make more).
        let global = outcomes[0].global
        #expect(outcomes.allSatisfy { $0.global.round == 1 && $0.global.blob.id == global.blob.id })
        #expect(global.blob.model.samples == UInt64(2 * count))
        // a acknowledged some before it died; every device of the second half that started at a moved on to b.
        #expect(outcomes.filter { $0.acknowledgedBy == a }.count >= killedAfter)
        #expect(fleet.resent.withLock { $0 }.map { outcomes[$0].acknowledgedBy } == a)
        let movedOn = (half..<count).filter { $0 % 2 == 0 }
        #expect(movedOn.allSatisfy { outcomes[$0].acknowledgedBy == b })
        let moved = fleet.moved.withLock { $0 }
        #expect(movedOn.allSatisfy { moved[$0]?.isEmpty == false }, "\(movedOn.filter { moved[$0] == nil }.prefix(5))")

        // The survivor closed the round with exactly 1,000 updates.
        let closed = try second.waitForLine { $0.contains("---- round 0 closed by replica b ") }
        #expect(closed.contains(": global model \(global.blob.shortID) of round 1 (\(count) updates, \(2 * count) samples, "), "\(closed)")
        // The database moved on to round 1 and holds no update of the closed round.
        let database = try PostgresConnection(store)
        let left = try database.execute("SELECT count(*) AS n FROM runtime_updates WHERE round = 0").rows.first?.int("n")
        #expect(left == 0)
        let rounds = try database.execute("SELECT round FROM runtime_federations").rows.map { try $0.int("round") }
        #expect(rounds == [1])
        #expect(second.end(with: SIGTERM) == 0)
    }
}
