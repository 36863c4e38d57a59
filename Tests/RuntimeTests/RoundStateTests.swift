import Channel
import Foundation
import Policy
import Protocol
import Runtime
import Testing
import WordModel

/// The round state machine on its own: every transition and refusal, with the clock in the test's hands.
@Suite struct RoundStateTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func rules(minUpdates: Int = 3, quorum: Int = 2, deadline: Double = 60) throws -> FederationRules {
        try FederationRules(FederatedSettings(minUpdates: minUpdates, quorum: quorum, roundDeadlineSeconds: deadline))
    }

    /// A model blob of its own for each name, so that updates named alike have the same id.
    func blob(_ name: String) -> ModelBlob {
        ModelBlob(model: Model(weights: .zero, samples: name.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
    }

    /// The id of the blob named `name`.
    func id(_ name: String) -> String {
        blob(name).id
    }

    func update(_ serial: String, id name: String = "aa", samples: UInt64 = 2) -> AcceptedUpdate {
        AcceptedUpdate(serial: serial, blob: blob(name), samples: samples)
    }

    /// A state with round 0 open since `start`.
    func open(_ rules: FederationRules) throws -> RoundState {
        var state = RoundState(rules: rules)
        try state.setInitial(ModelBlob(model: Model(seed: 1)), now: Self.start)
        return state
    }

    /// Reserves and acknowledges an update of `serial` in the open round.
    func add(_ serial: String, to state: inout RoundState, id name: String = "aa") throws {
        let reserved1 = try state.reserve(round: state.round, serial: serial, id: id(name))
        #expect(reserved1 == .store)
        let counted1 = state.acknowledge(update(serial, id: name), round: state.round)
        #expect(counted1)
    }

    @Test func oneVoicePerPlatformOrPerCertificateAsTheRulesSay() throws {
        let platform = "01" + String(repeating: "ee", count: 32)
        var perPlatform = try open(try FederationRules(
            FederatedSettings(minUpdates: 3, quorum: 2, roundDeadlineSeconds: 60, oneUpdatePer: .platform)))
        let first = try perPlatform.reserve(round: 0, serial: "01", platform: platform, id: id("aa"))
        #expect(first == .store)
        // Another certificate of the same platform, while the first update is being stored, and after.
        let storing = perPlatform
        let whileStoring = #expect(throws: ChannelError.self) { var copy = storing; _ = try copy.reserve(round: 0, serial: "02", platform: platform, id: id("bb")) }
        #expect(whileStoring?.message == "platform 01eeeeee... has an update for round 0 being stored (this device certificate: serial 02...); one update per platform and round (fl.one-update-per)")
        let acknowledged = perPlatform.acknowledge(AcceptedUpdate(serial: "01", platform: platform, blob: blob("aa"), samples: 2), round: 0)
        #expect(acknowledged)
        let counted = perPlatform
        let after = #expect(throws: ChannelError.self) { var copy = counted; _ = try copy.reserve(round: 0, serial: "02", platform: platform, id: id("bb")) }
        #expect(after?.code == .duplicateUpdate)
        #expect(after?.message == "platform 01eeeeee... already sent update \(id("aa").prefix(8)) for round 0 (this device certificate: serial 02...); one update per platform and round (fl.one-update-per)")
        // The update the platform sent, sent again, is acknowledged again; another platform has its own voice.
        let again = try perPlatform.reserve(round: 0, serial: "01", platform: platform, id: id("aa"))
        #expect(again == .alreadyAcknowledged(UpdateAck(round: 0, id: id("aa"))))
        let otherPlatform = try perPlatform.reserve(round: 0, serial: "03", platform: "01" + String(repeating: "ff", count: 32), id: id("cc"))
        #expect(otherPlatform == .store)

        var perCertificate = try open(try FederationRules(
            FederatedSettings(minUpdates: 3, quorum: 2, roundDeadlineSeconds: 60, oneUpdatePer: .certificate)))
        let one = try perCertificate.reserve(round: 0, serial: "01", platform: platform, id: id("aa"))
        let two = try perCertificate.reserve(round: 0, serial: "02", platform: platform, id: id("bb"))
        #expect(one == .store && two == .store)
    }

    @Test func nothingHappensBeforeTheInitialModel() throws {
        var state = RoundState(rules: try rules())
        let empty = state
        let error = #expect(throws: ChannelError.self) { var copy = empty; _ = try copy.reserve(round: 0, serial: "01", id: id("aa")) }
        #expect(error?.code == .noModel)
        #expect(#expect(throws: ChannelError.self) { try state.currentGlobal() }?.code == .noModel)
        #expect(state.closeReason(now: .distantFuture) == nil)
        let closing = state.beginClosing(now: .distantFuture)
        #expect(closing == nil)
    }

    @Test func aRoundClosesAtMinUpdatesAndPublishingOpensTheNext() throws {
        var state = try open(try rules())
        #expect(try state.currentGlobal().round == 0)
        try add("01", to: &state)
        try add("02", to: &state)
        #expect(state.closeReason(now: Self.start) == nil)
        try add("03", to: &state)
        #expect(state.closeReason(now: Self.start) == .enoughUpdates(3))

        let began = state.beginClosing(now: Self.start)
        let closing = try #require(began)
        #expect(closing.round == 0 && closing.updates.map(\.serial) == ["01", "02", "03"])
        let again = state.beginClosing(now: Self.start)
        #expect(state.isClosing && again == nil)
        let closingState = state
        let late = #expect(throws: ChannelError.self) { var copy = closingState; _ = try copy.reserve(round: 0, serial: "04", id: id("aa")) }
        #expect(late?.code == .wrongRound)
        #expect(late?.message == "an update for round 0 is refused: the round is closing with 3 updates; await the global model of round 1 and train on that")

        let next = ModelBlob(model: Model(weights: ModelWeights(seed: 2), round: 1))
        state.publish(next, openedAt: Self.start + 5)
        #expect(state.round == 1 && !state.isClosing && state.updates.isEmpty)
        #expect(try state.currentGlobal() == ModelReply(blob: next, round: 1))
        #expect(state.deadline == Self.start + 65)
        let published = state
        // An update that round did not count (one it counted is acknowledged again: see below).
        let old = #expect(throws: ChannelError.self) { var copy = published; _ = try copy.reserve(round: 0, serial: "04", id: id("aa")) }
        #expect(old?.message == "an update for round 0 is refused: that round has closed; round 1 is open (get-model returns its global model)")
        // The same devices take part again in the new round.
        try add("01", to: &state)
    }

    @Test func anUpdateStoredWhileItsRoundClosedDoesNotCount() throws {
        var state = try open(try rules(minUpdates: 2))
        try add("01", to: &state)
        let reserved2 = try state.reserve(round: 0, serial: "02", id: id("aa"))
        #expect(reserved2 == .store)
        let reserved3 = try state.reserve(round: 0, serial: "03", id: id("aa"))
        #expect(reserved3 == .store)
        let counted2 = state.acknowledge(update("03"), round: 0)
        #expect(counted2)
        let began = state.beginClosing(now: Self.start)
        _ = try #require(began)
        // Device 02's update was still being stored: it does not count, and must be removed.
        let counted3 = state.acknowledge(update("02"), round: 0)
        #expect(!counted3)
        state.publish(ModelBlob(model: Model(seed: 2)), openedAt: Self.start)
        let counted4 = state.acknowledge(update("02"), round: 0)
        #expect(!counted4)
    }

    @Test func atTheDeadlineARoundClosesWithAQuorumOrAsSoonAsItHasOne() throws {
        var state = try open(try rules(minUpdates: 3, quorum: 2, deadline: 60))
        try add("01", to: &state)
        #expect(state.closeReason(now: Self.start + 59) == nil)
        // Past the deadline with one update, below the quorum: it stays open ...
        #expect(state.closeReason(now: Self.start + 61) == nil)
        try add("02", to: &state)
        // ... until the quorum is there.
        #expect(state.closeReason(now: Self.start + 30) == nil)
        #expect(state.closeReason(now: Self.start + 61) == .deadline(2))
        #expect(RoundState.CloseReason.deadline(2).description == "2 updates at the deadline")
    }

    @Test func oneUpdatePerDeviceAndRoundButARetryIsAcknowledgedAgain() throws {
        var state = try open(try rules())
        try add("01", to: &state, id: "aa")
        let reserved4 = try state.reserve(round: 0, serial: "01", id: id("aa"))
        #expect(reserved4 == .alreadyAcknowledged(UpdateAck(round: 0, id: id("aa"))))
        let acknowledged = state
        let other = #expect(throws: ChannelError.self) { var copy = acknowledged; _ = try copy.reserve(round: 0, serial: "01", id: id("bb")) }
        #expect(other?.code == .duplicateUpdate)
        #expect(other?.message == "this device certificate (serial 01...) already sent update \(id("aa").prefix(8)) for round 0; one update per device and round")

        let reserved5 = try state.reserve(round: 0, serial: "02", id: id("cc"))
        #expect(reserved5 == .store)
        let storing = state
        let twice = #expect(throws: ChannelError.self) { var copy = storing; _ = try copy.reserve(round: 0, serial: "02", id: id("cc")) }
        #expect(twice?.code == .duplicateUpdate)
        #expect(twice?.message.contains("has an update for round 0 being stored") == true)
        // An update that could not be stored frees its place.
        state.release("02")
        let reserved6 = try state.reserve(round: 0, serial: "02", id: id("cc"))
        #expect(reserved6 == .store)
        #expect(state.updates.count == 1)
    }

    @Test func aCountedUpdateSentAgainAsItsRoundClosesOrAfterIsAcknowledgedAgain() throws {
        var state = try open(try rules(minUpdates: 2))
        try add("01", to: &state, id: "aa")
        try add("02", to: &state, id: "bb")
        let closing = state.beginClosing(now: Self.start)
        #expect(closing?.updates.map(\.serial) == ["01", "02"])
        // While the round closes its updates count: sent again, they are acknowledged again; new ones are refused.
        let whileClosing = try state.reserve(round: 0, serial: "01", id: id("aa"))
        #expect(whileClosing == .alreadyAcknowledged(UpdateAck(round: 0, id: id("aa"))))
        let closingCopy = state
        let late = #expect(throws: ChannelError.self) { var copy = closingCopy; _ = try copy.reserve(round: 0, serial: "03", id: id("cc")) }
        #expect(late?.code == .wrongRound)

        // Once it closed (a restart closes a round that the unacknowledged update made due), still.
        state.publish(ModelBlob(model: Model(seed: 2)), openedAt: Self.start + 1)
        let afterClosing = try state.reserve(round: 0, serial: "02", id: id("bb"))
        #expect(afterClosing == .alreadyAcknowledged(UpdateAck(round: 0, id: id("bb"))))
        let closed = state
        for (serial, name) in [("02", "b2"), ("03", "cc")] {
            let refused = #expect(throws: ChannelError.self) { var copy = closed; _ = try copy.reserve(round: 0, serial: serial, id: id(name)) }
            #expect(refused?.message == "an update for round 0 is refused: that round has closed; round 1 is open (get-model returns its global model)")
        }
        #expect(state.updates.isEmpty)

        // Only the last closed round is remembered.
        try add("01", to: &state, id: "a1")
        try add("02", to: &state, id: "b1")
        #expect(state.beginClosing(now: Self.start + 2) != nil)
        state.publish(ModelBlob(model: Model(seed: 3)), openedAt: Self.start + 3)
        let closedTwice = state
        let old = #expect(throws: ChannelError.self) { var copy = closedTwice; _ = try copy.reserve(round: 0, serial: "02", id: id("bb")) }
        #expect(old?.code == .wrongRound)
        let previous = try state.reserve(round: 1, serial: "02", id: id("b1"))
        #expect(previous == .alreadyAcknowledged(UpdateAck(round: 1, id: id("b1"))))
    }

    @Test func theInitialModelIsFixedOnceTheFirstUpdateIsReserved() throws {
        var state = try open(try rules())
        let replacement = ModelBlob(model: Model(seed: 9))
        try state.setInitial(replacement, now: Self.start + 10)
        #expect(state.global == replacement && state.openedAt == Self.start + 10)
        let reserved7 = try state.reserve(round: 0, serial: "01", id: id("aa"))
        #expect(reserved7 == .store)
        let started = state
        let refused = #expect(throws: ChannelError.self) { var copy = started; try copy.setInitial(ModelBlob(model: Model(seed: 1)), now: Self.start) }
        #expect(refused?.code == .wrongRound)
        #expect(state.global == replacement)
    }

    @Test func aFailedClosingReopensTheRoundWithItsUpdates() throws {
        var state = try open(try rules(minUpdates: 1, quorum: 1))
        try add("01", to: &state)
        let began = state.beginClosing(now: Self.start)
        _ = try #require(began)
        state.cancelClosing()
        #expect(!state.isClosing && state.round == 0 && state.updates.count == 1)
        #expect(state.closeReason(now: Self.start) == .enoughUpdates(1))
    }

    @Test func aRestartedStateHoldsItsRoundAndUpdates() throws {
        let global = ModelBlob(model: Model(weights: ModelWeights(seed: 3), round: 4))
        let state = RoundState(
            rules: try rules(minUpdates: 2), round: 4, global: global, openedAt: Self.start, updates: [update("01"), update("02")])
        #expect(state.round == 4 && state.updates.count == 2 && state.hasStarted)
        #expect(state.closeReason(now: Self.start) == .enoughUpdates(2))
    }
}

/// The policy's `fl` settings as the runtime applies them.
@Suite struct FederationRulesTests {
    func rules(_ aggregation: FederatedSettings.Aggregation, trim: Double? = nil, clip: Double? = nil) throws -> FederationRules {
        try FederationRules(
            FederatedSettings(aggregation: aggregation, trimFraction: trim, clipNorm: clip, minUpdates: 2, quorum: 1, roundDeadlineSeconds: 60))
    }

    @Test func eachPolicySettingMapsToItsRule() throws {
        #expect(try rules(.fedAvg).rule is FedAvg)
        #expect(try rules(.median).rule is CoordinateMedian)
        #expect((try rules(.trimmedMean, trim: 0.2).rule as? TrimmedMean)?.trimFraction == 0.2)
        let clipped = try #require(try rules(.median, clip: 5).rule as? NormClipping)
        #expect(clipped.bound == 5 && clipped.base is CoordinateMedian)
        #expect(try rules(.fedAvg, clip: 2.5).description
            == "FedAvg after norm clipping to 2.5; a round closes at 2 updates, or at its 60 s deadline with at least 1; one update per platform")
        #expect(try rules(.trimmedMean, trim: 0.1).rule.description == "trimmed mean (β = 0.1)")
    }

    @Test func settingsThatCannotRunAreRefusedByName() throws {
        let missing = #expect(throws: RuntimeError.self) { try rules(.trimmedMean) }
        #expect(missing?.message == "the policy's fl settings are invalid: fl.trim-fraction: is required by the trimmed-mean rule")
        let beta = #expect(throws: RuntimeError.self) { try rules(.trimmedMean, trim: 0.5) }
        #expect(beta?.message == "the policy's fl settings are invalid: fl.trim-fraction: must be at least 0 and below 0.5")
        // 1e300 s trapped converting to milliseconds; the policy's range check refuses it first.
        let deadline = #expect(throws: RuntimeError.self) {
            try FederationRules(FederatedSettings(minUpdates: 2, quorum: 1, roundDeadlineSeconds: 1e300))
        }
        #expect(deadline?.message
            == "the policy's fl settings are invalid: fl.round-deadline-seconds: is 1e+300; it must be a number of seconds between 0.001 and 2592000")
        let samples = #expect(throws: RuntimeError.self) {
            try FederationRules(FederatedSettings(minUpdates: 2, quorum: 1, roundDeadlineSeconds: 60, maxSamplesPerUpdate: 0))
        }
        #expect(samples?.message == "the policy's fl settings are invalid: fl.max-samples-per-update: is 0; it must be between 1 and 1000000000")
        #expect(try rules(.fedAvg).maxSamplesPerUpdate == 100_000)
        let none = #expect(throws: RuntimeError.self) { try FederationRules(policy: TestPolicies.withoutFL) }
        #expect(none?.message.hasPrefix("the policy has no \"fl\" settings") == true)
    }
}

enum TestPolicies {
    static let withoutFL = PolicyDocument(roles: [:], platforms: [], channels: [])
}
