import Channel
import Device
import Foundation
import Protocol
import Provider
@testable import Runtime
import TestSupport
import Testing
import WordModel

/// Learning you can see: each FL round's mean reported loss, and each new model's accuracy on the
/// provider's validation list, in the log and the history, sealed across restarts, never logging a word.
@Suite struct LossAndValidationTests {
    typealias Folder = FederationRecoveryTests.Folder

    /// Words the tests validate on; none of them occurs in any log line the runtime writes otherwise.
    static let list = try! ValidationSet(words: ["quilt", "zebra", "about", "white"])

    /// An update as a device trained on `word` would send it, reporting `loss`.
    static func update(_ word: String, round: UInt64, loss: Double?) throws -> UpdateRequest {
        let update = try FederationRecoveryTests.update(word, round: round)
        return UpdateRequest(round: round, model: update.model, samples: update.samples, loss: loss)
    }

    /// The accuracy line the runtime logs for `blob`, computed here from `complete`.
    static func accuracyLine(of blob: ModelBlob, on list: ValidationSet = list) throws -> (line: String, accuracy: Double) {
        let predictor = Predictor(weights: blob.model.weights)
        var correct = 0
        for word in list.words {
            let symbols = Array(word)
            if try predictor.complete(String(symbols[0..<3])) == word { correct += 1 }
            if try predictor.complete(String(symbols[1..<4])).prefix(4) == word.dropFirst() { correct += 1 }
        }
        let total = 2 * list.words.count
        let accuracy = Double(correct) / Double(total)
        return ("validation accuracy \(String(format: "%.2f", accuracy)) (\(correct) of \(total) prefixes) for model \(blob.shortID)", accuracy)
    }

    /// Whether any log line names a word of the list.
    static func logsNameAWord(_ logs: LogRecords) -> Bool {
        logs.messages.contains { line in list.words.contains { line.contains($0) } }
    }

    // MARK: The round's mean loss

    @Test func theRoundsRecordHasTheMeanOfTheLossesReportedAlsoAcrossARestart() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 3)
        _ = try before.setInitial(initialModel.bytes)
        _ = try before.update(try Self.update("about", round: 0, loss: 0.5), from: "0a")
        _ = try before.update(try Self.update("white", round: 0, loss: 0.25), from: "0b")
        before.stop()

        // The losses are sealed with their updates; a device that reports none still counts.
        let after = try folder.start(minUpdates: 3)
        #expect(after.snapshot.updates.sorted { $0.serial < $1.serial }.map(\.loss) == [0.5, 0.25])
        _ = try after.update(try Self.update("there", round: 0, loss: nil), from: "0c")
        after.closeIfDue()
        let record = try #require(after.history.latest)
        #expect(record.round == 1 && record.updates == 3 && record.meanLoss == 0.375)
        #expect(folder.logs.messages.contains { $0.hasPrefix("---- round 0 closed: global model \(record.modelID) of round 1 (3 updates, 6 samples, ") && $0.hasSuffix(" ms, mean loss 0.3750) ----") })
        after.stop()
    }

    @Test func aRoundWithoutReportedLossesHasNoMeanLoss() throws {
        let folder = Folder()
        let federation = try folder.start(minUpdates: 2)
        defer { federation.stop() }
        _ = try federation.setInitial(initialModel.bytes)
        _ = try federation.update(try Self.update("about", round: 0, loss: nil), from: "0a")
        _ = try federation.update(try Self.update("white", round: 0, loss: nil), from: "0b")
        federation.closeIfDue()
        let record = try #require(federation.history.latest)
        #expect(record.round == 1 && record.meanLoss == nil)
        #expect(folder.logs.messages.contains { $0.hasPrefix("---- round 0 closed: ") && $0.hasSuffix(" ms) ----") })
    }

    @Test func aLossThatIsNotAFiniteNumberAtLeastZeroIsRefusedWithTheReason() throws {
        let folder = Folder()
        let federation = try folder.start(minUpdates: 2)
        defer { federation.stop() }
        _ = try federation.setInitial(initialModel.bytes)
        for (loss, shown) in [(Double.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf"), (-0.5, "-0.5")] {
            let refused = #expect(throws: ChannelError.self) { try federation.update(try Self.update("about", round: 0, loss: loss), from: "0a") }
            #expect(refused?.code == .badRequest)
            #expect(refused?.message == "\"loss\" is \(shown): a loss must be a finite number, 0 or more (the mean loss of the last local epoch)")
        }
        // Nothing was counted, and the same device may still send its update with a good loss.
        #expect(federation.snapshot.updates.isEmpty)
        _ = try federation.update(try Self.update("about", round: 0, loss: 0), from: "0a")
        #expect(federation.snapshot.updates.map(\.loss) == [0])
    }

    @Test func overTheWireDevicesSendTheirLossAndTheUploadAndEachGlobalModelAreMeasured() throws {
        let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        let ack = try runtime.client(role: .provider).putModel(initialModel, validation: Self.list.words)
        #expect(ack.validationWords == 4)
        let initial = try Self.accuracyLine(of: initialModel)
        #expect(eventually { runtime.logs.messages.contains(initial.line) })
        let received = try #require(runtime.logs.messages.firstIndex { $0.hasPrefix("received model \(initialModel.shortID) ") })
        #expect(runtime.logs.messages[received].hasSuffix("; it is the global model of round 0; sealed with a validation list of 4 words"))
        // Logged in order: the upload, then its accuracy.
        #expect(runtime.logs.messages.firstIndex(of: initial.line).map { $0 > received } == true)
        #expect(eventually { runtime.server.history.latest?.validationAccuracy == initial.accuracy })
        let nan = #expect(throws: ChannelError.self) {
            try runtime.client(role: .device).update(round: 0, model: initialModel, samples: 2, loss: .nan)
        }
        #expect(nan?.code == .badRequest && nan?.message.hasPrefix("\"loss\" is nan: ") == true)

        let first = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let second = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        var losses: [Float] = []
        for (device, word) in [(first, "about"), (second, "white")] {
            _ = try device.download()
            let update = try device.trainLocally(words: [word], epochs: 20)
            losses.append(update.loss)
            try device.upload(update)
        }
        let global = try first.awaitGlobal(round: 1)
        let record = try #require(runtime.server.history.latest)
        #expect(record.round == 1 && record.modelID == global.shortID)
        let expected = Double(losses[0]) / 2 + Double(losses[1]) / 2
        #expect(abs(try #require(record.meanLoss) - expected) < 1e-12)
        let measured = try Self.accuracyLine(of: global.blob)
        #expect(eventually { runtime.logs.messages.contains(measured.line) })
        #expect(eventually { runtime.server.history.latest?.validationAccuracy == measured.accuracy })
        #expect(!Self.logsNameAWord(runtime.logs))
    }

    // MARK: The validation list

    @Test func flMeasuresEachGlobalModelOnTheListSealedWithItAcrossARestart() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 2)
        _ = try before.setInitial(initialModel.bytes, validation: Self.list)
        // Recorded; measured by the request's handler once it logged the upload (see the wire test).
        #expect(before.history.all.map(\.rule) == ["upload"] && before.validationList == Self.list)
        before.stop()

        // The list is sealed in round 0's global file, so the restarted runtime measures round 1's model.
        let after = try folder.start(minUpdates: 2)
        #expect(folder.logs.messages.contains("the provider's validation list (4 words) is sealed with it"))
        _ = try after.update(try Self.update("about", round: 0, loss: 0.1), from: "0a")
        _ = try after.update(try Self.update("white", round: 0, loss: 0.2), from: "0b")
        after.closeIfDue()
        after.validation.waitUntilDone()
        let global = try after.currentGlobal().blob
        let measured = try Self.accuracyLine(of: global)
        #expect(folder.logs.messages.contains(measured.line))
        let record = try #require(after.history.latest)
        #expect(record.modelID == global.shortID && record.validationAccuracy == measured.accuracy)
        after.stop()

        // And carried on to round 1's global file: a second restart still has it.
        let again = try folder.start(minUpdates: 2)
        #expect(folder.logs.messages.filter { $0 == "the provider's validation list (4 words) is sealed with it" }.count == 2)
        again.stop()
        #expect(!Self.logsNameAWord(folder.logs))
    }

    @Test func flWithoutAListMeasuresNothing() throws {
        let folder = Folder()
        let federation = try folder.start(minUpdates: 1)
        defer { federation.stop() }
        _ = try federation.setInitial(initialModel.bytes)
        _ = try federation.update(try Self.update("about", round: 0, loss: 0.1), from: "0a")
        federation.closeIfDue()
        federation.validation.waitUntilDone()
        #expect(federation.history.all.map(\.validationAccuracy) == [nil, nil])
        #expect(!folder.logs.messages.contains { $0.hasPrefix("validation accuracy ") })
    }

    @Test func mlMeasuresTheUploadAndEachTrainingOnTheListSealedWithTheModelAcrossARestart() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let provider = try ModelProvider(runtime: try runtime.client(role: .provider), policy: runtime.policy)
        let ack = try provider.send(initialModel, validation: Self.list)
        #expect(ack == ModelAck(id: initialModel.id, size: UInt64(initialModel.size), validationWords: 4))
        let received = try #require(runtime.logs.messages.firstIndex { $0.hasSuffix("; it is the current model; sealed with a validation list of 4 words") })
        let initial = try Self.accuracyLine(of: initialModel)
        #expect(eventually { runtime.logs.messages.contains(initial.line) })
        #expect(runtime.logs.messages.firstIndex(of: initial.line).map { $0 > received } == true)
        #expect(eventually { runtime.server.history.latest?.validationAccuracy == initial.accuracy })
        #expect(runtime.server.history.latest?.rule == "upload")

        // The list is sealed with the model (encrypted: no word in the folder's bytes), and kept by a restart.
        try runtime.restart()
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        _ = try device.download()
        let (trained, _) = try device.train(words: ["about"])
        let measured = try Self.accuracyLine(of: trained.blob)
        #expect(eventually { runtime.logs.messages.contains(measured.line) })
        #expect(eventually { runtime.server.history.latest?.validationAccuracy == measured.accuracy })
        #expect(runtime.server.history.latest?.modelID == trained.blob.shortID)
        let sealed = try Data(contentsOf: URL(fileURLWithPath: runtime.sealedModelPath))
        #expect(!Self.list.words.contains { sealed.range(of: Data($0.utf8)) != nil })

        // A later upload without a list keeps the list: its model is measured too.
        _ = try ModelProvider(runtime: try runtime.client(role: .provider), policy: runtime.policy).send(initialModel)
        #expect(eventually { runtime.logs.messages.filter { $0 == initial.line }.count == 2 })
        #expect(!Self.logsNameAWord(runtime.logs))
    }

    @Test func aListWithABadWordIsRefusedNamingTheWordAndNothingIsStored() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let provider = try runtime.client(role: .provider)
        let bad = #expect(throws: ChannelError.self) { try provider.putModel(initialModel, validation: ["about", "ab1cd"]) }
        #expect(bad?.code == .badRequest)
        #expect(
            bad?.message == "\"validation\" is refused: word \"ab1cd\" has '1', which is not in the alphabet \"\(Alphabet.symbols)\" (a-z, '-' and space; upper case is folded)")
        let short = #expect(throws: ChannelError.self) { try runtime.client(role: .provider).putModel(initialModel, validation: ["abou"]) }
        #expect(short?.message == "\"validation\" is refused: word \"abou\" has 4 symbols, expected 5")
        let empty = #expect(throws: ChannelError.self) { try runtime.client(role: .provider).putModel(initialModel, validation: []) }
        #expect(empty?.message == "\"validation\" is refused: validation list of 0 words is out of range, expected 1 to 10000 words")
        #expect(runtime.server.store.current == nil && runtime.server.store.validation == nil)
    }
}
