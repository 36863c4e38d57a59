import ByteKit
import CBORKit
import Channel
import Foundation
import Policy
import Privacy
import Protocol
@testable import Runtime
import TestSupport
import Testing
import WordModel

/// Recovery at each crash point of docs/fl.md: the files a runtime killed at that point leaves are made
/// (by running the federation up to it, or writing what it would have written), then a new federation
/// starts on them, as a restarted runtime does.
@Suite struct FederationRecoveryTests {
    /// A sealed-state folder and federations on it, each as a runtime (re)start would make one.
    final class Folder: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cml-federation-\(UUID().uuidString)").path
        let logs = LogRecords()
        /// The freshness anchor, kept across restarts as the certifier keeps it.
        let anchor = MemoryAnchor()

        var sealed: SealedStore { get throws { try SealedStore(directory: path, sealingSecret: Array(repeating: 9, count: 32)) } }

        /// The sealed state as a (re)starting runtime opens it: checked against the anchor.
        func state() throws -> AnchoredState {
            try AnchoredState(sealed: sealed, federation: "test", anchor: anchor, logger: logs.logger(label: "runtime", level: .info))
        }

        /// A federation on the folder; its devices are named by serial alone unless `oneUpdatePer` is
        /// `.platform`.
        func start(
            minUpdates: Int = 3, quorum: Int = 1, deadline: Double = 600, oneUpdatePer: FederatedSettings.UpdateCounting = .certificate,
            privacy: PrivacySettings? = nil, clock: @escaping @Sendable () -> Date = { Date() }
        ) throws -> Federation {
            let rules = try FederationRules(
                FederatedSettings(
                    minUpdates: minUpdates, quorum: quorum, roundDeadlineSeconds: deadline, privacy: privacy, oneUpdatePer: oneUpdatePer))
            return try Federation(state: state(), rules: rules, logger: logs.logger(label: "runtime", level: .info), clock: clock)
        }

        func files() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        }

        /// The files' names without their versions, e.g. ["global-1"].
        func kinds() throws -> [String] {
            try files().map { String($0.dropLast(".sealed".count).split(separator: "-").dropLast().joined(separator: "-")) }
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// The update a device with `serial` would send in `round` after training on `word`.
    static func update(_ word: String, round: UInt64) throws -> UpdateRequest {
        let trainer = try Trainer(weights: initialModel.model.weights)
        try trainer.train(try TrainingSet(words: [word]), epochs: 3)
        return UpdateRequest(round: round, model: ModelBlob.encode(Model(weights: trainer.weights, round: round, samples: 2)), samples: 2)
    }

    static let words = ["about", "white", "there", "which"]

    /// The FedAvg of `updates` (equal samples: their plain mean), computed here.
    static func mean(_ updates: [UpdateRequest]) throws -> [Float] {
        let models = try updates.map { try ModelBlob.decode($0.model).weights.parameters }
        return (0..<ModelWeights.parameterCount).map { index in
            Float(models.reduce(0.0) { $0 + Double($1[index]) } / Double(models.count))
        }
    }

    @Test func aRestartStillCountsOneUpdatePerPlatform() throws {
        let folder = Folder()
        let platform: [UInt8] = [0x01] + Array(repeating: 0x0c, count: 32)
        let before = try folder.start(oneUpdatePer: .platform)
        _ = try before.setInitial(initialModel.bytes)
        let sent = try Self.words.prefix(3).map { try Self.update($0, round: 0) }
        _ = try before.update(sent[0], from: "0a", platform: platform)
        // A device certificate that names no platform has no voice when updates count per platform.
        let unnamed = #expect(throws: ChannelError.self) { try before.update(sent[2], from: "0c") }
        #expect(unnamed?.code == .notAuthorized)
        before.stop()

        let after = try folder.start(oneUpdatePer: .platform)
        #expect(after.snapshot.updates.map(\.platform) == [Hex.encode(platform)])
        // Another certificate of the same platform, after the restart: refused, naming the platform.
        let refused = #expect(throws: ChannelError.self) { try after.update(sent[1], from: "0b", platform: platform) }
        #expect(refused?.code == .duplicateUpdate)
        #expect(refused?.message.hasPrefix("platform 010c0c0c... already sent update \(ModelBlob.id(of: sent[0].model).prefix(8)) for round 0") == true)
        // The same update again from the same platform is acknowledged again.
        #expect(try after.update(sent[0], from: "0a", platform: platform) == UpdateAck(round: 0, id: ModelBlob.id(of: sent[0].model)))
        after.stop()
    }

    @Test func acknowledgedUpdatesSurviveARestartAndTheRoundCompletesWithThem() throws {
        let folder = Folder()
        let before = try folder.start()
        _ = try before.setInitial(initialModel.bytes)
        let sent = try Self.words.prefix(3).map { try Self.update($0, round: 0) }
        _ = try before.update(sent[0], from: "0a")
        _ = try before.update(sent[1], from: "0b")
        before.stop()

        let after = try folder.start()
        #expect(after.round == 0 && Set(after.snapshot.updates.map(\.serial)) == ["0a", "0b"])
        #expect(folder.logs.messages.contains { $0.hasPrefix("resumed round 0 (global model \(initialModel.shortID), opened ") && $0.hasSuffix(" with 2 stored updates") })
        // A device that did not see its acknowledgement sends the same update again: acknowledged again.
        #expect(try after.update(sent[1], from: "0b") == UpdateAck(round: 0, id: ModelBlob.id(of: sent[1].model)))
        _ = try after.update(sent[2], from: "0c")
        after.closeIfDue()
        let global = try after.currentGlobal()
        #expect(global.round == 1)
        #expect(try global.blob.model.weights.parameters == Self.mean(sent))
    }

    @Test func aWriteCutShortLeavesNoUpdate() throws {
        let folder = Folder()
        let before = try folder.start()
        _ = try before.setInitial(initialModel.bytes)
        before.stop()
        // The temporary file of an update being written when the runtime died.
        let partial = "\(folder.path)/update-0-0a-2.sealed.tmp-123-456"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: partial))

        let after = try folder.start()
        #expect(after.snapshot.updates.isEmpty)
        #expect(try folder.files() == ["global-0-1.sealed"])
        #expect(folder.logs.messages.contains("removed 1 unfinished write of sealed files"))
    }

    @Test func aRoundThatWasDueWhenTheRuntimeDiedClosesAtTheRestartOnce() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 2)
        _ = try before.setInitial(initialModel.bytes)
        let sent = try Self.words.prefix(2).map { try Self.update($0, round: 0) }
        _ = try before.update(sent[0], from: "0a")
        // Died after storing and anchoring the second update, before the round closed (closing follows
        // the acknowledgement; nothing of round 1 on disk).
        _ = try before.update(sent[1], from: "0b")
        before.stop()

        let after = try folder.start(minUpdates: 2)
        let global = try after.currentGlobal()
        #expect(global.round == 1)
        #expect(try global.blob.model.weights.parameters == Self.mean(sent))
        #expect(try folder.kinds() == ["global-1"])
        #expect(folder.logs.messages.filter { $0.hasPrefix("---- round 0 closed: ") }.count == 1)
        // The device whose update made the round due never saw its acknowledgement: it sends the update
        // again and is acknowledged, although the round closed at the restart.
        #expect(try after.update(sent[1], from: "0b") == UpdateAck(round: 0, id: ModelBlob.id(of: sent[1].model)))
        #expect(after.round == 1 && after.snapshot.updates.isEmpty)

        // Restarting again publishes nothing new: round 1 is open, with the same global model.
        let again = try folder.start(minUpdates: 2)
        #expect(try again.currentGlobal() == global)
        #expect(folder.logs.messages.filter { $0.hasPrefix("---- round 0 closed: ") }.count == 1)
    }

    @Test func diedAfterPublishingBeforeRemovingTheUpdatesKeepsThePublishedRound() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 2)
        _ = try before.setInitial(initialModel.bytes)
        for (index, word) in Self.words.prefix(2).enumerated() {
            _ = try before.update(try Self.update(word, round: 0), from: "0\(index)")
        }
        // Keep the update files, close the round, then put them back: as if it died before removing them.
        let kept = try folder.files().filter { $0.hasPrefix("update-") }
        let copies = try kept.map { try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/\($0)")) }
        before.closeIfDue()
        let published = try before.currentGlobal()
        before.stop()
        for (name, data) in zip(kept, copies) { try data.write(to: URL(fileURLWithPath: "\(folder.path)/\(name)")) }

        let after = try folder.start(minUpdates: 2)
        #expect(try after.currentGlobal() == published)
        #expect(after.round == 1 && after.snapshot.updates.isEmpty)
        #expect(try folder.kinds() == ["global-1"])
        #expect(folder.logs.messages.contains("removed 2 sealed files that the anchored state no longer needs"))
        #expect(folder.logs.messages.filter { $0.hasPrefix("---- round 0 closed: ") }.count == 1)
    }

    @Test func anUpdateStoredForARoundThatClosedMeanwhileIsRemoved() throws {
        let folder = Folder()
        let before = try folder.start(minUpdates: 1)
        _ = try before.setInitial(initialModel.bytes)
        _ = try before.update(try Self.update("about", round: 0), from: "0a")
        before.closeIfDue()
        before.stop()
        // A late update of round 0 that was stored (and anchored) as the round closed, and never counted.
        let late = try Self.update("white", round: 0)
        let state = try folder.state()
        let version = try FederationFiles(state: state).writeUpdate(
            AcceptedUpdate(serial: "0b", blob: try ModelBlob(bytes: late.model), samples: 2), round: 0)
        try state.awaitAnchored(version)
        #expect(try folder.kinds() == ["global-1"])

        let after = try folder.start(minUpdates: 1)
        #expect(after.round == 1 && after.snapshot.updates.isEmpty)
        #expect(try folder.kinds() == ["global-1"])
    }

    @Test func aRoundWhoseDeadlinePassedWhileTheRuntimeWasDownClosesWithItsQuorum() throws {
        let folder = Folder()
        let now = Date()
        let before = try folder.start(minUpdates: 3, quorum: 1, deadline: 60, clock: { now })
        _ = try before.setInitial(initialModel.bytes)
        _ = try before.update(try Self.update("about", round: 0), from: "0a")
        before.stop()

        // Back two minutes later: the deadline (kept in the sealed global model) has passed.
        let after = try folder.start(minUpdates: 3, quorum: 1, deadline: 60, clock: { now + 120 })
        #expect(after.round == 1)
        #expect(folder.logs.messages.contains("---- round 0 closes with 1 update at the deadline: aggregating with FedAvg ----"))
    }

    @Test func aChangedOrMovedUpdateFileStopsTheRestart() throws {
        let folder = Folder()
        let before = try folder.start()
        _ = try before.setInitial(initialModel.bytes)
        _ = try before.update(try Self.update("about", round: 0), from: "0a")
        before.stop()
        let original = "\(folder.path)/update-0-0a-2.sealed"
        let stale = "sealed state is stale: the in-memory anchor anchored version 2 "

        // Passed off as another device's update: the anchored state lacks the original.
        try FileManager.default.moveItem(atPath: original, toPath: "\(folder.path)/update-0-0b-2.sealed")
        let moved = #expect(throws: RuntimeError.self) { try folder.start() }
        #expect(moved?.message.hasPrefix(stale) == true, "\(String(describing: moved))")
        #expect(moved?.message.contains("(global-0-1.sealed, update-0-0b-2.sealed) has another digest") == true)

        // And were the digest to match, the name is authenticated with the file.
        try FileManager.default.moveItem(atPath: "\(folder.path)/update-0-0b-2.sealed", toPath: original)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: original)))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: original))
        let changed = #expect(throws: RuntimeError.self) { try folder.start() }
        #expect(changed?.message.hasPrefix(stale) == true)
    }

    @Test func aCorruptSealedRecordIsARuntimeErrorNamingTheFile() throws {
        var path = ""
        // A folder whose round 0 has the update `record` of device 0a, sealed and anchored as the runtime
        // would (so only its contents are wrong); returns the restart's refusal.
        func start(_ record: [UInt8]) throws -> (Folder, Result<Federation, any Error>) {
            let folder = Folder()
            let before = try folder.start()
            _ = try before.setInitial(initialModel.bytes)
            before.stop()
            let state = try folder.state()
            try state.awaitAnchored(try state.write(record) { StateFileName.update(round: 0, serial: "0a", seq: $0) })
            path = "\(folder.path)/update-0-0a-2.sealed"
            return (folder, Result { try folder.start() })
        }
        func refused(_ record: CBORMap) -> RuntimeError? {
            let result = try? start(CBOREncoder.encode(.map(record))).1
            guard case .failure(let error) = result else { return nil }
            return error as? RuntimeError
        }
        func refusal(_ record: CBORMap) -> String? {
            refused(record)?.message
        }
        let update: CBORMap = ["type": "fl-update", "round": 0, "serial": "0a", "samples": 2, "model": .bytes(initialModel.bytes)]

        var otherSerial = update
        otherSerial[text: "serial"] = "0b"
        #expect(refusal(otherSerial) == "\(path): its round and serial are not the ones its name says")
        var otherRound = update
        otherRound[text: "round"] = 1
        #expect(refusal(otherRound) == "\(path): its round and serial are not the ones its name says")
        var noSamples = update
        noSamples[text: "samples"] = nil
        #expect(refusal(noSamples) == "\(path): \"samples\" is missing from the \"fl-update\" record")
        var badModel = update
        badModel[text: "model"] = .bytes(Array(initialModel.bytes.dropLast(4)))
        let badModelError = refused(badModel)
        #expect(badModelError?.message.hasPrefix("\(path): its model does not decode: model blob is truncated") == true)
        // The code says what kind of refusal it is, and the model's own error is kept underneath.
        #expect(badModelError?.code == .sealedFileCorrupt)
        #expect(badModelError?.cause is WordModelError)
        #expect(refused(noSamples)?.code == .sealedFileCorrupt)
        #expect(refused(noSamples)?.cause == nil)
        var global = update
        global[text: "type"] = "fl-global"
        #expect(refusal(global) == "\(path): the sealed record is not of type \"fl-update\"")
        guard case .failure(let array) = try start([0x83, 1, 2, 3]).1 else { Issue.record("an array was read as a record"); return }
        #expect((array as? RuntimeError)?.message == "\(path): the sealed record is a CBOR array, not a map")
        // The sound record is read back: the check above is not what refuses every file.
        let (folder, sound) = try start(CBOREncoder.encode(.map(update)))
        let after = try sound.get()
        defer { after.stop() }
        #expect(after.snapshot.updates.map(\.serial) == ["0a"])
        withExtendedLifetime(folder) {}
    }

    @Test func aGlobalModelThatCannotBeStoredKeepsTheRoundOpenAndIsTriedAgain() throws {
        let folder = Folder()
        let federation = try folder.start(minUpdates: 2)
        defer { federation.stop() }
        _ = try federation.setInitial(initialModel.bytes)
        let sent = try Self.words.prefix(2).map { try Self.update($0, round: 0) }
        _ = try federation.update(sent[0], from: "0a")
        // A directory where the global model goes: its rename fails, as on a full or broken disk.
        // (versions: global-0 1, updates 2 and 3, so the global model of round 1 is version 4)
        let global = "\(folder.path)/global-1-4.sealed"
        try FileManager.default.createDirectory(atPath: global, withIntermediateDirectories: false)
        _ = try federation.update(sent[1], from: "0b")
        federation.closeIfDue()
        #expect(federation.round == 0 && federation.snapshot.updates.count == 2 && !federation.snapshot.isClosing)
        #expect(folder.logs.messages.contains { $0.hasPrefix("the global model of round 1 could not be stored: ") && $0.hasSuffix("; round 0 stays open") })

        // Once the disk is usable again, the round closes without another update.
        try FileManager.default.removeItem(atPath: global)
        let reply = try federation.awaitGlobal(round: 1) { false }
        #expect(reply.round == 1)
        #expect(try reply.blob.model.weights.parameters == Self.mean(sent))
    }
}
