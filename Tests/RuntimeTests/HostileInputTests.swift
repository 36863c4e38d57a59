import ByteKit
import Channel
import Foundation
import Protocol
import Runtime
import TestSupport
import Testing
import WordModel

/// Input an attacker controls that used to trap the runtime or to decide a round alone: a blob of round
/// 2^64-1, a sample count of 2^64-1, a sealed file replaced by a huge one.
@Suite struct HostileInputTests {
    /// The initial model at `round`, as a blob.
    func blob(round: UInt64) -> [UInt8] {
        ModelBlob.encode(Model(weights: initialModel.model.weights, round: round, samples: 2))
    }

    @Test func aBlobOfRoundTwoToTheSixtyFourMinusOneIsRefusedAtUploadAndTheRuntimeKeepsServing() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let provider = try runtime.domain.clientContext(role: .provider)
        let refused = #expect(throws: ChannelError.self) { try runtime.send(PutModelRequest(model: blob(round: .max)), context: provider) }
        #expect(refused?.code == .invalidModel)
        #expect(refused?.message == "key \"round\" is 18446744073709551615, over the maximum round 9007199254740991")
        #expect(runtime.server.store.current == nil)

        // The highest round is stored, and training on it is refused with a reason rather than trapping.
        _ = try runtime.client(role: .provider).putModel(ModelBlob(bytes: blob(round: ModelBlob.maximumRound)))
        let train = #expect(throws: ChannelError.self) { try runtime.client(role: .device).train(words: ["about"]) }
        #expect(train?.code == .badRequest)
        #expect(train?.message.contains("the maximum round (9007199254740991); a model of it cannot be trained further") == true)

        // Still serving: an ordinary model is taken and trained on.
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let reply = try runtime.client(role: .device).train(words: ["about"])
        #expect(reply.blob.model.round == 1)
    }

    @Test func anUpdateClaimingMoreSamplesThanThePolicysCapIsRefusedNamingTheCap() throws {
        let runtime = try RuntimeFixture(
            policy: TestDomain.flPolicy(minUpdates: 2, maxSamplesPerUpdate: 1000), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        for samples in [UInt64.max, 1001] {
            let refused = #expect(throws: ChannelError.self) {
                try runtime.client(role: .device).update(round: 0, model: initialModel, samples: samples)
            }
            #expect(refused?.code == .badRequest)
            #expect(refused?.message
                == "\"samples\" is \(samples), over the policy's cap of 1000 samples per update (fl.max-samples-per-update)")
        }
        let roundMax = #expect(throws: ChannelError.self) {
            try runtime.send(
                UpdateRequest(round: 0, model: blob(round: .max), samples: 2), context: runtime.domain.clientContext(role: .device))
        }
        #expect(roundMax?.code == .invalidModel)
        // Nothing was counted; an update at the cap is.
        #expect(runtime.server.federation?.snapshot.updates.isEmpty == true)
        _ = try runtime.client(role: .device).update(round: 0, model: initialModel, samples: 1000)
        #expect(runtime.server.federation?.snapshot.updates.count == 1)
    }

    @Test func aHugeSealedModelStopsTheStartNamingTheFileAndTheLimit() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        runtime.stop()
        // 40 GB of holes where the sealed model was: reading it whole would abort the process.
        let handle = try #require(FileHandle(forWritingAtPath: runtime.sealedModelPath))
        try handle.truncate(atOffset: 40 << 30)
        try handle.close()
        let error = #expect(throws: RuntimeError.self) { try runtime.restart() }
        #expect(error?.message.contains(
            "\(runtime.sealedModelPath): is 42949672960 bytes, over the limit of \(SealedStore.maximumFileSize.bytes) bytes for a sealed file") == true)
    }
}
