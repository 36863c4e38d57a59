import ByteKit
import CBORKit
import Channel
import Device
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Provider
import Runtime
import TestSupport
import Testing
import WordModel

/// FL mode in-process: the demo's round, every refusal of an update with its code and message, what
/// put-model does once rounds have started, and waits for a global model.
@Suite struct FLFlowTests {
    /// A runtime in FL mode holding the demo's initial model as the global model of round 0.
    func federation(_ policy: PolicyDocument = TestDomain.flPolicy()) throws -> RuntimeFixture {
        let runtime = try RuntimeFixture(policy: policy, configuration: .init(mode: .fl))
        _ = try runtime.client(role: .provider).putModel(initialModel)
        return runtime
    }

    func device(_ runtime: RuntimeFixture) throws -> Device {
        try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
    }

    @Test func twoDevicesEachLearnTheOthersWordFromTheGlobalModel() throws {
        let runtime = try federation()
        defer { runtime.cleanUp() }
        #expect(runtime.logs.messages.contains(
            "federated rounds under the policy's rule: FedAvg; a round closes at 2 updates, or at its 60 s deadline with at least 1; one update per platform"))
        let first = try device(runtime), second = try device(runtime)
        for device in [first, second] {
            let model = try device.download()
            #expect(model.blob.id == initialModel.id && device.round == 0)
        }
        #expect(try first.model?.complete("whi") != "white" || first.model?.complete("abo") != "about")

        var epochLines: [String] = []
        let about = try first.trainLocally(words: ["about"]) { if let line = $0.lossLine { epochLines.append(line) } }
        let white = try second.trainLocally(words: ["white"])
        #expect(epochLines.map { $0.prefix { $0 != "," } } == (0..<10).map { "epoch: \($0 * 10)" })
        #expect(about.round == 0 && about.samples == 2 && about.epochs == 100)
        #expect(try first.upload(about) == UpdateAck(round: 0, id: about.blob.id))
        #expect(runtime.server.federation?.round == 0)
        #expect(try second.upload(white) == UpdateAck(round: 0, id: white.blob.id))

        // The second update closed the round; both devices get the same global model of round 1.
        let globals: [DeviceModel] = try [first, second].map { device in try device.awaitGlobal(round: 1) }
        #expect(globals[0].blob.id == globals[1].blob.id)
        #expect(first.round == 1 && second.round == 1 && globals[0].model.samples == 4)
        #expect(try first.model?.complete("whi") == "white")
        #expect(try second.model?.complete("abo") == "about")
        // It is the sample-weighted average of the two updates, from the global model of round 0.
        let expected = try FedAvg().aggregate([about.blob.model, white.blob.model], global: initialModel.model.weights)
        #expect(globals[0].model.weights == expected)
        #expect(try runtime.client(role: .device).getModel().round == 1)
        // The history records the upload and the round for the status: ids and figures, no weights; the
        // round's mean loss is the mean of the two losses the devices reported.
        let record = try #require(runtime.server.history.latest)
        #expect(runtime.server.history.all.map(\.rule) == ["upload", "FedAvg"])
        #expect(runtime.server.history.all.first?.modelID == initialModel.shortID)
        #expect(record.round == 1 && record.modelID == globals[0].blob.shortID && record.updates == 2 && record.samples == 4)
        #expect(record.rule == "FedAvg" && record.milliseconds >= 0 && record.validationAccuracy == nil)
        #expect(record.meanLoss == Double(about.loss) / 2 + Double(white.loss) / 2)

        let lines = runtime.logs.messages
        #expect(lines.contains { $0.hasPrefix("update \(about.shortID) from device ") && $0.hasSuffix(" for round 0 (2 samples): 1 of 2") })
        #expect(lines.contains("---- round 0 closes with 2 updates, min-updates reached: aggregating with FedAvg ----"))
        #expect(lines.contains { $0.hasPrefix("---- round 0 closed: global model \(globals[0].shortID) of round 1 (2 updates, 4 samples, ") })
        // The round's updates are gone from the disk; the global model is sealed.
        #expect(runtime.sealedKinds == ["global-1"])
    }

    @Test func updatesAreRefusedWithTheirOwnCodes() throws {
        let runtime = try federation(TestDomain.flPolicy(minUpdates: 3))
        defer { runtime.cleanUp() }
        let device = try self.device(runtime)
        try device.download()
        let update = try device.trainLocally(words: ["about"], epochs: 5)
        func refusal(_ request: UpdateRequest, role: Role = .device, identity: TLSIdentity? = nil) throws -> ChannelError? {
            let context = try identity.map { try runtime.domain.clientContext(identity: $0) } ?? runtime.domain.clientContext(role: role)
            return #expect(throws: ChannelError.self) { try runtime.send(request, context: context) }
        }

        let later = try refusal(UpdateRequest(round: 1, model: update.blob.bytes, samples: 2))
        #expect(later?.code == .wrongRound)
        #expect(later?.message == "an update for round 1 is refused: that round has not opened; round 0 is open (get-model returns its global model)")

        let provider = try refusal(UpdateRequest(round: 0, model: update.blob.bytes, samples: 2), role: .provider)
        #expect(provider?.code == .notAuthorized)
        #expect(provider?.message == "role \"provider\" may not send \"update\" (only device may)")

        var map = try #require(CBORDecoder().decode(update.blob.bytes).map)
        map[text: "bias"] = CBORValue.bytes(Array(repeating: 0, count: 27 * 4))
        let wrongShape = try refusal(UpdateRequest(round: 0, model: CBOREncoder.encode(.map(map)), samples: 2))
        #expect(wrongShape?.code == .invalidModel)
        #expect(wrongShape?.message == "tensor \"bias\" has 108 bytes, expected 112 (28 float32)")

        var shape = update.blob.model
        shape.weights = try ModelWeights(parameters: [Float.nan] + update.blob.model.weights.parameters.dropFirst())
        let notFinite = try refusal(UpdateRequest(round: 0, model: ModelBlob.encode(shape), samples: 2))
        #expect(notFinite?.code == .invalidModel)
        #expect(notFinite?.message == "tensor \"kernel\" holds NaN at [0][0]")

        let noSamples = try refusal(UpdateRequest(round: 0, model: update.blob.bytes, samples: 0))
        #expect(noSamples?.code == .badRequest)

        // One update per platform (each identity here names its own) and round; sending the same one
        // again is acknowledged again.
        let same = try runtime.domain.identity(role: .device)
        let client = try runtime.client(identity: same)
        #expect(try client.update(round: 0, model: update.blob, samples: 2) == UpdateAck(round: 0, id: update.blob.id))
        #expect(try runtime.client(identity: same).update(round: 0, model: update.blob, samples: 2) == UpdateAck(round: 0, id: update.blob.id))
        let other = try device.trainLocally(words: ["white"], epochs: 5)
        let duplicate = try refusal(UpdateRequest(round: 0, model: other.blob.bytes, samples: 2), identity: same)
        #expect(duplicate?.code == .duplicateUpdate)
        let platform = try #require(try AdmissionCertificate(trusted: same.certificate).platformInstance)
        #expect(duplicate?.message.hasPrefix("platform \(Hex.short(platform)) already sent update \(update.shortID) for round 0 (this device certificate: serial ") == true)
        #expect(duplicate?.message.hasSuffix("; one update per platform and round (fl.one-update-per)") == true)
        #expect(runtime.server.federation?.snapshot.updates.count == 1)

        // ML requests are not served in FL mode.
        let train = #expect(throws: ChannelError.self) { try runtime.client(role: .device).train(words: ["about"]) }
        #expect(train?.code == .unknownType)
        #expect(train?.message == "\"train\" is an ML request; this runtime serves FL mode")
    }

    @Test func putModelSetsTheInitialModelOnlyUntilTheFirstUpdate() throws {
        let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        let device = try self.device(runtime)
        let early = #expect(throws: ChannelError.self) { try device.download() }
        #expect(early?.code == .noModel)

        let provider = try runtime.client(role: .provider)
        let replaced = ModelBlob(model: Model(seed: 7))
        _ = try provider.putModel(replaced)
        _ = try provider.putModel(initialModel)
        #expect(try device.download().blob.id == initialModel.id)
        try device.upload(try device.trainLocally(words: ["about"], epochs: 5))

        let late = #expect(throws: ChannelError.self) { try runtime.client(role: .provider).putModel(replaced) }
        #expect(late?.code == .wrongRound)
        #expect(late?.message == "put-model sets the initial global model (round 0) only before the first update; round 0 already has updates. "
            + "To start a new federation, start the runtime on a fresh state folder")
        #expect(try runtime.client(role: .provider).getModel().blob.id == initialModel.id)
    }

    @Test func awaitingAGlobalModelReturnsAtOnceForPublishedRoundsAndRefusesRoundsAhead() throws {
        let runtime = try federation(TestDomain.flPolicy(minUpdates: 1))
        defer { runtime.cleanUp() }
        let client = try runtime.client(role: .device)
        #expect(try client.awaitGlobal(round: 0).blob.id == initialModel.id)
        let ahead = #expect(throws: ChannelError.self) { try runtime.client(role: .device).awaitGlobal(round: 2) }
        #expect(ahead?.code == .wrongRound)
        #expect(ahead?.message == "round 2 is more than one round ahead: round 0 is open, so its global model comes with round 1")

        // A device waiting for round 1 gets it when another device's update closes round 0. The update
        // goes once the first device waits (or after 30 s, failing the test, so that nothing hangs).
        let waited = try concurrently(2) { index -> (reply: ModelReply?, sawWait: Bool) in
            if index == 0 { return (try runtime.client(role: .device).awaitGlobal(round: 1), true) }
            let sawWait = eventually { runtime.server.federation?.waitingDevices == 1 }
            let device = try self.device(runtime)
            try device.download()
            try device.upload(try device.trainLocally(words: ["about"], epochs: 5))
            return (nil, sawWait)
        }
        #expect(waited[1].sawWait, "the first device did not wait for round 1 within 30 s")
        let global = try #require(waited[0].reply)
        #expect(global.round == 1)
        #expect(runtime.server.federation?.waitingDevices == 0)
        #expect(try runtime.client(role: .device).awaitGlobal(round: 0).blob.id == global.blob.id)
    }

    @Test func aDeviceWaitingThroughARuntimeRestartGetsTheGlobalModel() throws {
        let runtime = try federation()
        defer { runtime.cleanUp() }
        let waited = try concurrently(2) { index -> (round: UInt64?, sawWait: Bool) in
            let device = try self.device(runtime)
            if index == 0 {
                try device.download()
                try device.upload(try device.trainLocally(words: ["about"], epochs: 5))
                // The runtime restarts while this device waits; it reconnects and waits again.
                return (try device.awaitGlobal(round: 1).model.round, true)
            }
            // Restart once the first device waits, its update in (or after 30 s, failing the test).
            let sawWait = eventually { runtime.server.federation?.waitingDevices == 1 }
            try runtime.restart(samePort: true)
            try device.download()
            try device.upload(try device.trainLocally(words: ["white"], epochs: 5))
            return (nil, sawWait)
        }
        #expect(waited[1].sawWait, "the first device did not wait for round 1 within 30 s")
        #expect(waited[0].round == 1)
        #expect(runtime.logs.messages.contains { $0.hasPrefix("resumed round 0 ") && $0.hasSuffix(" with 1 stored update") })
    }

    @Test func flModeNeedsThePolicysFLSettings() throws {
        let error = #expect(throws: RuntimeError.self) {
            try RuntimeFixture(policy: TestDomain.mlPolicy(), configuration: .init(mode: .fl))
        }
        #expect(error?.message == "the policy has no \"fl\" settings, so this runtime cannot serve FL mode (sign a policy from policy-templates/fl.json)")
    }
}
