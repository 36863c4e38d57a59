import ByteKit
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Runtime
import TestSupport
import Testing
import WordModel

/// Through the runtime: a poisoned update against each aggregation rule the policy can choose, and a
/// device that drops out mid-upload.
@Suite struct FLRobustnessTests {
    static let honestWords = ["about", "white", "there", "their", "which", "words", "water", "where", "other", "world"]

    /// An honest update: the initial model trained on `word` (2 samples).
    static func honest(_ word: String) throws -> Model {
        let trainer = try Trainer(weights: initialModel.model.weights)
        try trainer.train(try TrainingSet(words: [word]), epochs: 20)
        return Model(weights: trainer.weights, samples: 2)
    }

    /// Ten honest updates and one that is an honest model scaled by 100, each from its own device
    /// certificate, in one round of a runtime under `policy`; returns the published global model.
    static func round(_ policy: PolicyDocument, honest: [Model], poisoned: Model) throws -> ModelWeights {
        let runtime = try RuntimeFixture(policy: policy, configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        for model in honest + [poisoned] {
            _ = try runtime.client(role: .device).update(round: 0, model: ModelBlob(model: model), samples: model.samples)
        }
        let global = try runtime.client(role: .device).awaitGlobal(round: 1, timeout: .seconds(60))
        return global.blob.model.weights
    }

    @Test func robustRulesStayWithTheHonestDevicesAndFedAvgDoesNot() throws {
        let honest = try Self.honestWords.map(Self.honest)
        var scaled = honest[0]
        scaled.weights = try ModelWeights(parameters: scaled.weights.parameters.map { $0 * 100 })
        // The honest devices' FedAvg (equal sample counts: the plain mean), computed here.
        let honestMean = try ModelWeights(parameters: (0..<ModelWeights.parameterCount).map { index in
            Float(honest.reduce(0.0) { $0 + Double($1.weights.parameters[index]) } / Double(honest.count))
        })
        // How far honest updates lie from their mean: "close" means closer than that.
        let spread = honest.map { $0.weights.distance(to: honestMean) }.reduce(0, +) / Double(honest.count)
        let clip = 2 * (honest.map { $0.weights.distance(to: initialModel.model.weights) }.max() ?? 1)

        let robust: [(String, PolicyDocument)] = [
            ("median", TestDomain.flPolicy(aggregation: .median, minUpdates: 11)),
            ("trimmed mean (β = 0.1)", TestDomain.flPolicy(aggregation: .trimmedMean, trimFraction: 0.1, minUpdates: 11)),
            ("FedAvg after clipping to \(String(format: "%.2f", clip))", TestDomain.flPolicy(clipNorm: clip, minUpdates: 11)),
        ]
        let plain = try Self.round(TestDomain.flPolicy(minUpdates: 11), honest: honest, poisoned: scaled).distance(to: honestMean)
        print("poisoning: 10 honest updates lie \(String(format: "%.4f", spread)) on average from their FedAvg")
        print("poisoning: plain FedAvg with one update scaled by 100: \(String(format: "%.4f", plain)) from the honest FedAvg")
        #expect(plain > 10 * spread)
        for (name, policy) in robust {
            let distance = try Self.round(policy, honest: honest, poisoned: scaled).distance(to: honestMean)
            print("poisoning: \(name): \(String(format: "%.4f", distance)) from the honest FedAvg (plain FedAvg: \(String(format: "%.4f", plain)))")
            #expect(distance < spread, "\(name)")
        }
    }

    @Test func aDeviceThatDropsOutMidUploadDoesNotStallTheRound() throws {
        let runtime = try RuntimeFixture(
            policy: TestDomain.flPolicy(minUpdates: 3, quorum: 2, deadlineSeconds: 2), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let updates = try ["about", "white", "there"].map(Self.honest)

        // The third device starts its upload, sends half of the frame, and goes away.
        let socket = try TCPConnector.connect(host: "127.0.0.1", port: runtime.server.port, timeout: .seconds(10))
        try socket.setTimeouts(receive: .seconds(10), send: .seconds(10))
        let tls = try TLSConnection(context: try runtime.domain.clientContext(role: .device), fileDescriptor: socket.fileDescriptor)
        try tls.handshake()
        let frame = try FrameCodec().encode(UpdateRequest(round: 0, model: ModelBlob.encode(updates[2]), samples: 2).frame)
        try tls.write(Array(frame.prefix(frame.count / 2)))
        socket.shutdown()

        for model in updates.prefix(2) {
            _ = try runtime.client(role: .device).update(round: 0, model: ModelBlob(model: model), samples: 2)
        }
        // Below min-updates (3), the round closes at its deadline with the quorum (2).
        let global = try runtime.client(role: .device).awaitGlobal(round: 1, timeout: .seconds(30))
        #expect(global.round == 1)
        let expected = try FedAvg().aggregate(Array(updates.prefix(2)), global: initialModel.model.weights)
        #expect(global.blob.model.weights == expected)
        #expect(global.blob.model.samples == 4)
        #expect(runtime.logs.messages.contains("---- round 0 closes with 2 updates at the deadline: aggregating with FedAvg ----"))
    }

    /// The Sybil attack: a host attests two devices on its one platform and sends a poisoned update
    /// from each. Counted per platform (the default), the second is refused and the round waits for the
    /// honest device; counted per certificate, the two Sybils close the round alone.
    @Test func aSecondUpdateFromOnePlatformIsRefusedAndTheRoundClosesWithTheHonestOne() throws {
        let honest = try Self.honest("about")
        var poisoned = honest
        poisoned.weights = try ModelWeights(parameters: poisoned.weights.parameters.map { $0 * 100 })
        let sybilPlatform = TestDomain.newPlatformInstance()

        let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(aggregation: .median, minUpdates: 2), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let sybils = try (0..<2).map { _ in
            try runtime.client(identity: runtime.domain.identity(role: .device, platformInstance: sybilPlatform))
        }
        _ = try sybils[0].update(round: 0, model: ModelBlob(model: poisoned), samples: 2)
        var second = poisoned
        second.weights = try ModelWeights(parameters: second.weights.parameters.map { $0 * 1.01 })
        let refused = #expect(throws: ChannelError.self) { try sybils[1].update(round: 0, model: ModelBlob(model: second), samples: 2) }
        #expect(refused?.code == .duplicateUpdate)
        #expect(refused?.message.hasPrefix("platform \(Hex.encode(sybilPlatform.prefix(4)))... already sent update ") == true)
        #expect(refused?.message.hasSuffix("one update per platform and round (fl.one-update-per)") == true)

        _ = try runtime.client(role: .device).update(round: 0, model: ModelBlob(model: honest), samples: 2)
        let global = try runtime.client(role: .device).awaitGlobal(round: 1, timeout: .seconds(60))
        #expect(global.blob.model.weights == (try CoordinateMedian().aggregate([poisoned, honest], global: initialModel.model.weights)))
        #expect(runtime.logs.messages.contains("---- round 0 closes with 2 updates, min-updates reached: aggregating with coordinate median ----"))

        // The same two Sybils counted per certificate: they close the round without the honest device.
        let perCertificate = try RuntimeFixture(
            policy: TestDomain.flPolicy(aggregation: .median, minUpdates: 2, oneUpdatePer: .certificate), configuration: .init(mode: .fl))
        defer { perCertificate.cleanUp() }
        _ = try perCertificate.client(role: .provider).putModel(initialModel)
        for model in [poisoned, second] {
            let sybil = try perCertificate.client(identity: perCertificate.domain.identity(role: .device, platformInstance: sybilPlatform))
            _ = try sybil.update(round: 0, model: ModelBlob(model: model), samples: 2)
        }
        let captured = try perCertificate.client(role: .device).awaitGlobal(round: 1, timeout: .seconds(60))
        #expect(captured.blob.model.weights == (try CoordinateMedian().aggregate([poisoned, second], global: initialModel.model.weights)))
    }
}
