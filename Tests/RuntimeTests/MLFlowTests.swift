import Channel
import Device
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Provider
import Runtime
import Synchronization
import TestSupport
import Testing
import WordModel

/// The ML flow in-process: provider upload, device download, prediction, training, prediction again.
@Suite struct MLFlowTests {
    @Test func providerUploadsDeviceTrainsAndPredictsWithTheTrainedModel() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }

        // Before any upload a device is told so (the original hung here).
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let early = #expect(throws: ChannelError.self) { try device.download() }
        #expect(early?.code == .noModel)
        #expect(early?.message == "the runtime has no model yet: the model provider must send one first")

        let provider = try ModelProvider(runtime: try runtime.client(role: .provider), policy: runtime.policy)
        var sentID: String?
        let ack = try provider.send(initialModel) { sentID = $0 }
        #expect(sentID == initialModel.id)
        #expect(ack == ModelAck(id: initialModel.id, size: UInt64(initialModel.size)))
        #expect(provider.runtime.server?.role == .runtime)

        let downloaded = try device.download()
        #expect(downloaded.blob.id == initialModel.id)
        #expect(downloaded.model == initialModel.model)
        let before = try downloaded.complete("abo")

        let (trained, reply) = try device.train(words: ["about"])
        #expect(reply.epochs == 100)
        #expect(reply.loss < 0.01)
        #expect(trained.model.round == 1 && trained.model.samples == 2)
        #expect(try trained.complete("abo") == "about")
        #expect(try device.model?.complete("abo") == "about")
        #expect(before != "about" || initialModel.model != trained.model)

        // The trained model is the runtime's current model: a second device downloads it.
        let other = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        #expect(try other.download().blob.id == reply.blob.id)
        #expect(runtime.server.store.current?.id == reply.blob.id)
        let upload = try #require(runtime.server.history.all.first)
        #expect(runtime.server.history.all == [
            ModelRecord(round: 0, modelID: initialModel.shortID, updates: 0, samples: 10, rule: "upload", milliseconds: 0, madeAt: upload.madeAt),
            ModelRecord(
                round: 1, modelID: reply.blob.shortID, updates: 1, samples: 2, rule: "train",
                milliseconds: try #require(runtime.server.history.latest).milliseconds, meanLoss: reply.loss,
                madeAt: try #require(runtime.server.history.latest).madeAt)
        ])

        // The runtime logged the training as the original did, framed by the device's short id.
        let lines = runtime.logs.messages
        let start = try #require(lines.firstIndex { $0.hasPrefix("---- training on 1 word from device ") })
        #expect(lines[start].hasSuffix(" ----"))
        let epochs = lines[(start + 1)...].prefix { $0.hasPrefix("epoch: ") }
        #expect(epochs.map { $0.prefix { $0 != "," } } == (0..<10).map { "epoch: \($0 * 10)" })
        #expect(epochs.allSatisfy { $0.split(separator: " ").last?.split(separator: ",").count == 2 })
        let done = lines[start + 1 + epochs.count]
        #expect(done.hasPrefix("---- training done (100 epochs, ") && done.hasSuffix(" ms): model \(reply.blob.id.prefix(8)) ----"))
    }

    @Test func trainRequestsRunOneAtATimeEachOnTheLatestModel() throws {
        let runtime = try RuntimeFixture(configuration: .init(epochs: 10))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let words = ["about", "which", "there", "their", "white", "words", "water", "where"]
        let replies = try concurrently(words.count) { index in
            try runtime.client(role: .device).train(words: [words[index]])
        }
        // Each request trained the model the previous one produced: generations 1 to 8, each once.
        let rounds = replies.map { $0.blob.model.round }
        #expect(rounds.sorted() == Array(1...UInt64(words.count)))
        let last = try #require(replies.first { $0.blob.model.round == UInt64(words.count) })
        #expect(runtime.server.store.current?.id == last.blob.id)
        #expect(runtime.logs.messages.filter { $0.hasPrefix("---- training done") }.count == words.count)
    }

    @Test func restartBringsBackTheLastTrainedModel() throws {
        let runtime = try RuntimeFixture(configuration: .init(epochs: 5))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let trained = try runtime.client(role: .device).train(words: ["about"])
        try runtime.restart()
        let reply = try runtime.client(role: .device).getModel()
        #expect(reply.blob.id == trained.blob.id)
        #expect(reply.blob.bytes == trained.blob.bytes)
        #expect(reply.round == 1)
    }

    @Test func aTamperedSealedModelStopsTheRestart() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        runtime.stop()
        let path = runtime.sealedModelPath
        var sealed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        sealed[sealed.count / 2] ^= 0x80
        try Data(sealed).write(to: URL(fileURLWithPath: path))
        // The anchored digest no longer matches the folder: refused before the file is even opened.
        let error = #expect(throws: RuntimeError.self) { try runtime.restart() }
        #expect(error?.message.hasPrefix("sealed state is stale: the in-memory anchor anchored version 1 ") == true, "\(String(describing: error))")
        #expect(error?.message.contains("(model-1.sealed) has another digest: a file of it is missing, older, replaced or renamed") == true)
    }
}
