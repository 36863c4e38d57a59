import ByteKit
import Channel
import Foundation
import Policy
import Privacy
import Protocol
@testable import Runtime
import Synchronization
import Testing
import WordModel

/// DP-FedAvg in the runtime (docs/privacy.md): Poisson sampling of the devices of each round, decisions
/// that survive a restart, and a privacy budget after which no round opens, also across restarts.
@Suite struct FederationPrivacyTests {
    typealias Folder = FederationRecoveryTests.Folder

    /// A clock the test moves, to close rounds at their deadline without waiting.
    final class TestClock: Sendable {
        private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var read: @Sendable () -> Date { { self.now.withLock { $0 } } }
        func advance(by seconds: Double) { now.withLock { $0 += seconds } }
    }

    static func privacy(samplingRate: Double, maxEpsilon: Double = 1e6) -> PrivacySettings {
        PrivacySettings(clipNorm: 1, noiseMultiplier: 1, samplingRate: samplingRate, expectedUpdates: 10, delta: 1e-5, maxEpsilon: maxEpsilon)
    }

    /// An update of `round` trained on nothing: the round's global model again (its distance is 0).
    static func update(of global: ModelReply) -> UpdateRequest {
        UpdateRequest(
            round: global.round, model: ModelBlob.encode(Model(weights: global.blob.model.weights, round: global.round, samples: 1)),
            samples: 1)
    }

    /// Whether the runtime admitted `serial`'s update (true) or refused it as not sampled (false).
    static func admits(_ federation: Federation, _ update: UpdateRequest, from serial: String) throws -> Bool {
        do {
            _ = try federation.update(update, from: serial)
            return true
        } catch where error.code == .notSampled {
            return false
        }
    }

    /// Whether the runtime lets `serial` join round 0 (true) or refuses it as not sampled (false).
    static func joins(_ federation: Federation, from serial: String) throws -> Bool {
        do {
            return try federation.join(round: 0, from: serial) == JoinAck(round: 0)
        } catch where error.code == .notSampled {
            return false
        }
    }

    /// Over 5 rounds of 200 devices each at Q = 0.3, the share admitted is within 5 standard deviations
    /// of Q: 1,000 Bernoulli(0.3) draws have a standard deviation of 14.5 admissions, so the bound
    /// [228, 372] fails by chance with probability below 1e-6. The decision is per device and round.
    @Test func devicesAreAdmittedWithTheSamplingRate() throws {
        let folder = Folder()
        let clock = TestClock()
        let federation = try folder.start(
            minUpdates: 1000, quorum: 1, deadline: 60, privacy: Self.privacy(samplingRate: 0.3), clock: clock.read)
        _ = try federation.setInitial(initialModel.bytes)
        var admitted = 0
        for round in 0..<5 {
            let global = try federation.currentGlobal()
            #expect(global.round == UInt64(round))
            let update = Self.update(of: global)
            for device in 0..<200 where try Self.admits(federation, update, from: String(format: "%04x", device)) {
                admitted += 1
            }
            // The round closes at its deadline with the admitted updates.
            clock.advance(by: 61)
            federation.closeIfDue()
        }
        #expect((228...372).contains(admitted), "admitted \(admitted) of 1000 at Q = 0.3")
        #expect(federation.round == 5)
        federation.stop()
    }

    /// A device left out of a round stays out after a restart (the decision is sealed), and one drawn
    /// stays in: restarting cannot be used to draw again.
    @Test func aRestartDoesNotDrawAgain() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 100, privacy: Self.privacy(samplingRate: 0.5))
        _ = try before.setInitial(initialModel.bytes)
        let update = Self.update(of: try before.currentGlobal())
        let serials = (0..<40).map { String(format: "%02x", $0) }
        var decisions: [String: Bool] = [:]
        for serial in serials { decisions[serial] = try Self.admits(before, update, from: serial) }
        // 40 fair draws all alike: probability 2^-39.
        #expect(Set(decisions.values).count == 2)
        // Asking again in the same round repeats the decision.
        for serial in serials { #expect(try Self.admits(before, update, from: serial) == decisions[serial]) }
        before.stop()

        let after = try folder.start(minUpdates: 100, privacy: Self.privacy(samplingRate: 0.5))
        for serial in serials { #expect(try Self.admits(after, update, from: serial) == decisions[serial]) }
        let refused = try #require(serials.first { decisions[$0] == false })
        let error = #expect(throws: ChannelError.self) { try after.update(update, from: refused) }
        #expect(error?.message.hasPrefix("Poisson sampling (fl.privacy.sampling-rate) did not draw this device for round 0") == true)
        after.stop()
    }

    /// A device asks to join before it trains: the decision drawn then is the one its update meets, so a
    /// device left out learns it before training, and one drawn is admitted. Without fl.privacy every
    /// device joins.
    @Test func theDecisionAtJoinIsTheOneTheUpdateMeets() throws {
        let folder = Folder()
        let federation = try folder.start(minUpdates: 100, privacy: Self.privacy(samplingRate: 0.5))
        _ = try federation.setInitial(initialModel.bytes)
        let update = Self.update(of: try federation.currentGlobal())
        let serials = (0..<40).map { String(format: "%02x", $0) }
        var joined: [String: Bool] = [:]
        for serial in serials { joined[serial] = try Self.joins(federation, from: serial) }
        #expect(Set(joined.values).count == 2)
        for serial in serials { #expect(try Self.admits(federation, update, from: serial) == joined[serial]) }
        let ahead = #expect(throws: ChannelError.self) { try federation.join(round: 1, from: "0a") }
        #expect(ahead?.code == .wrongRound)
        federation.stop()

        let plainFolder = Folder()
        let plain = try plainFolder.start(minUpdates: 100)
        _ = try plain.setInitial(initialModel.bytes)
        for serial in serials { #expect(try plain.join(round: 0, from: serial) == JoinAck(round: 0)) }
        plain.stop()
    }

    /// With a budget of exactly two rounds, the federation releases two, then refuses updates and waits
    /// with `budget-exhausted` and still serves the last model; a restart finds the budget spent, and a
    /// rollback of the folder to a round with budget left is refused by the anchor.
    @Test func noRoundOpensPastTheBudgetAcrossRestartsAndRollbacks() throws {
        let accountant = try Self.privacy(samplingRate: 1).accountant()
        let maxEpsilon = try accountant.epsilon(rounds: 2, delta: 1e-5).epsilon
        let privacy = Self.privacy(samplingRate: 1, maxEpsilon: maxEpsilon)
        #expect(try FederationRules(FederatedSettings(minUpdates: 1, quorum: 1, roundDeadlineSeconds: 60, privacy: privacy)).privacy?.maxRounds == 2)
        let folder = Folder()
        let federation = try folder.start(minUpdates: 1, privacy: privacy)
        _ = try federation.setInitial(initialModel.bytes)
        _ = try federation.update(Self.update(of: try federation.currentGlobal()), from: "0a")
        federation.closeIfDue()
        #expect(federation.round == 1)
        // The folder as it is with one round released, to roll back to later.
        let copy = folder.path + "-copy"
        try FileManager.default.copyItem(atPath: folder.path, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        _ = try federation.update(Self.update(of: try federation.currentGlobal()), from: "0a")
        federation.closeIfDue()
        #expect(federation.round == 2)
        #expect(federation.snapshot.privateRounds == 2)
        #expect(folder.logs.messages.contains { $0.hasPrefix("the privacy budget is spent: the global model ") && $0.contains(" of round 2 is the last")  })

        let last = try federation.currentGlobal()
        // The released model says what it cost: two rounds, within the budget.
        let record = try #require(last.blob.model.privacy)
        #expect(record.rounds == 2 && record.epsilon == maxEpsilon && record.delta == 1e-5 && record.samplingRate == 1)
        let refused = #expect(throws: ChannelError.self) { try federation.update(Self.update(of: last), from: "0b") }
        #expect(refused?.code == .budgetExhausted)
        #expect(refused?.message.hasPrefix("the federation's privacy budget is spent (epsilon ") == true)
        let waited = #expect(throws: ChannelError.self) { try federation.awaitGlobal(round: 3) { false } }
        #expect(waited?.code == .budgetExhausted)
        federation.stop()

        let restarted = try folder.start(minUpdates: 1, privacy: privacy)
        #expect(restarted.snapshot.isExhausted)
        #expect(try restarted.currentGlobal() == last)
        let again = #expect(throws: ChannelError.self) { try restarted.update(Self.update(of: last), from: "0c") }
        #expect(again?.code == .budgetExhausted)
        #expect(folder.logs.messages.contains { $0.hasPrefix("the privacy budget is spent: the global model of round 2 is the last") })
        restarted.stop()

        // Another noise multiplier than the rounds released had: refused, not miscounted.
        var louder = privacy
        louder.noiseMultiplier = 2
        let changed = #expect(throws: RuntimeError.self) { try folder.start(minUpdates: 1, privacy: louder) }
        #expect(changed?.message.hasPrefix("the federation released 2 rounds with noise multiplier 1.0 and sampling rate 1.0, but the policy sets 2.0") == true)

        // Back to one round released: the anchor holds a later state, so the runtime refuses to start.
        try FileManager.default.removeItem(atPath: folder.path)
        try FileManager.default.copyItem(atPath: copy, toPath: folder.path)
        #expect(throws: RuntimeError.self) { try folder.start(minUpdates: 1, privacy: privacy) }
    }
}
