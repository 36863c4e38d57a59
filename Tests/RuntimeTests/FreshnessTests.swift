import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
@testable import Runtime
import TestSupport
import Testing
import WordModel

/// Rollback, deletion, replacement and reordering of sealed files, found by an attack on the runtime
/// before its state was anchored (docs/freshness.md): each is refused at start, naming what is stale;
/// changes are acknowledged only once anchored, and in batches.
@Suite struct FreshnessTests {
    /// A copy of the sealed folder as the host may keep one, and its restoration.
    struct FolderCopy {
        let source: String
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("cml-copy-\(UUID().uuidString)").path

        init(_ folder: String) throws {
            source = folder
            try FileManager.default.copyItem(atPath: folder, toPath: copy)
        }

        /// Puts the copy back in place of the folder.
        func restore() throws {
            try FileManager.default.removeItem(atPath: source)
            try FileManager.default.copyItem(atPath: copy, toPath: source)
            try? FileManager.default.removeItem(atPath: copy)
        }
    }

    func federation(minUpdates: Int = 1, anchor: MemoryAnchor = MemoryAnchor()) throws -> RuntimeFixture {
        let runtime = try RuntimeFixture(
            policy: TestDomain.flPolicy(minUpdates: minUpdates, deadlineSeconds: 3600), configuration: .init(mode: .fl), anchor: anchor)
        _ = try runtime.client(role: .provider).putModel(initialModel)
        return runtime
    }

    func update(_ word: String) throws -> ModelBlob {
        let trainer = try Trainer(weights: initialModel.model.weights)
        try trainer.train(try TrainingSet(words: [word]), epochs: 2)
        return ModelBlob(model: Model(weights: trainer.weights, samples: 2))
    }

    func refusal(_ runtime: RuntimeFixture) -> String {
        do {
            try runtime.restart()
            return "the runtime started"
        } catch {
            return (error as? RuntimeError)?.message ?? "\(error)"
        }
    }

    @Test func mlARolledBackModelIsRefused() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        _ = try runtime.client(role: .device).train(words: ["about"])
        let copy = try FolderCopy(runtime.sealedFolder)
        // Round 3 is acknowledged...
        let acknowledged = try runtime.client(role: .device).train(words: ["white"])
        #expect(acknowledged.blob.model.round == 2)
        runtime.stop()
        // ...then the host puts back the copy of round 2.
        try copy.restore()
        let message = refusal(runtime)
        #expect(message.hasPrefix("sealed state is stale: the in-memory anchor anchored version 3 (digest "), "\(message)")
        #expect(message.contains("the folder holds version 2 at most (its newest file), an older copy: rolled back, or files deleted"))
    }

    @Test func mlADeletedModelIsRefused() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        runtime.stop()
        try FileManager.default.removeItem(atPath: runtime.sealedModelPath)
        let message = refusal(runtime)
        #expect(message.hasPrefix("sealed state is missing: the in-memory anchor anchored version 1 of federation \"default\", and "), "\(message)")
        #expect(message.hasSuffix("holds no sealed state file; refusing to start afresh (the state was deleted or the folder is wrong)"))
        // Deleting the folder itself is the same denial of service, never a fresh start.
        try FileManager.default.removeItem(atPath: runtime.sealedFolder)
        #expect(refusal(runtime).hasPrefix("sealed state is missing: "))
    }

    @Test func mlAModelRenamedToALaterVersionIsRefused() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let older = runtime.sealedModelPath
        let olderBytes = try Data(contentsOf: URL(fileURLWithPath: older))
        _ = try runtime.client(role: .device).train(words: ["about"])
        runtime.stop()
        // The older model under the newer one's name: the digest (and the name, authenticated) differ.
        let newer = runtime.sealedModelPath
        #expect(newer.hasSuffix("/model-2.sealed"))
        try olderBytes.write(to: URL(fileURLWithPath: newer))
        let message = refusal(runtime)
        #expect(message.hasPrefix("sealed state is stale: the in-memory anchor anchored version 2 "), "\(message)")
        #expect(message.contains("(model-2.sealed) has another digest"))
        #expect(!FileManager.default.fileExists(atPath: older))
    }

    @Test func mlFilesNeverAnchoredAreRemovedAtStartAndTheAnchoredModelServed() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        runtime.stop()
        // What a runtime killed between writing a model and anchoring it leaves: a later version.
        let sealed = try SealedStore(directory: runtime.sealedFolder, sealingSecret: runtime.secret)
        try sealed.write(initialModel.bytes, purpose: "model-2")
        try runtime.restart()
        #expect(runtime.logs.messages.contains("removed 1 sealed file written after version 1 and never anchored (never acknowledged)"))
        #expect(runtime.sealedKinds == ["model"])
        #expect(try runtime.client(role: .device).getModel().blob.id == initialModel.id)
    }

    @Test func mlAChangeThatCannotBeAnchoredIsNotAcknowledgedAndTheNextOneAnchorsIt() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        runtime.anchor.isAvailable = false
        let refused = #expect(throws: ChannelError.self) { try runtime.client(role: .device).train(words: ["about"]) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.hasPrefix("the change is stored but could not be anchored at the certifier, so it is not acknowledged: ") == true)
        runtime.anchor.isAvailable = true
        let trained = try runtime.client(role: .device).train(words: ["white"])
        // The unacknowledged training was kept (memory follows the disk) and is under this one.
        #expect(trained.blob.model.round == 2)
        try runtime.restart()
        #expect(try runtime.client(role: .device).getModel().blob.id == trained.blob.id)
    }

    /// The start hashed each file to check it against the anchor, then read it again to open it: a host
    /// that swapped in another file of the same name between the two (a replayed write that was never
    /// anchored, sealed under the same key and name) had it loaded.
    @Test func aFileSwappedAfterTheAnchorCheckIsNotLoaded() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-swap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sealed = try SealedStore(directory: folder, sealingSecret: Array(repeating: 1, count: 32))
        let anchor = MemoryAnchor()
        let logger = LogRecords().logger(label: "runtime", level: .info)
        let name = StateFileName.model(seq: 1)
        let hash = try sealed.write(initialModel.bytes, purpose: name.purpose)
        let empty = AnchorState(version: 0, digest: CanonicalState.digest(federation: "fed", version: 0, files: []))
        try anchor.advance(federation: "fed", from: nil, to: empty)
        try anchor.advance(
            federation: "fed", from: empty, to: AnchorState(version: 1, digest: CanonicalState.digest(federation: "fed", version: 1, files: [(name, hash)])))
        let state = try AnchoredState(sealed: sealed, federation: "fed", anchor: anchor, logger: logger)
        #expect(try ModelStore(state: state).current?.bytes == initialModel.bytes)
        // The check is done; the host now puts another file of the same name in place.
        try sealed.write(try update("white").bytes, purpose: name.purpose)
        let error = #expect(throws: RuntimeError.self) { try ModelStore(state: state) }
        #expect(error?.code == .sealedFileCorrupt)
        #expect(error?.message.contains("model-1.sealed: refused: its bytes changed after they were checked against the anchor") == true)
    }

    @Test func anUnreachableAnchorAtStartIsTriedAgainThenNamed() throws {
        let anchor = MemoryAnchor()
        anchor.isAvailable = false
        let logs = LogRecords()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-anchor-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let error = #expect(throws: RuntimeError.self) {
            try AnchoredState(
                sealed: try SealedStore(directory: folder, sealingSecret: Array(repeating: 1, count: 32)), federation: "fed", anchor: anchor,
                logger: logs.logger(label: "runtime", level: .info), patience: .seconds(1))
        }
        #expect(error?.message == "cannot read the anchor of the sealed state at the in-memory anchor: the in-memory anchor is set unavailable")
        #expect(logs.messages.contains { $0.hasPrefix("cannot read the anchor of the sealed state (the in-memory anchor is set unavailable); trying again in ") })
    }

    @Test func flARolledBackGlobalModelIsRefusedSoNoRoundIsPublishedTwice() throws {
        let runtime = try federation(minUpdates: 1)
        defer { runtime.cleanUp() }
        let copy = try FolderCopy(runtime.sealedFolder)
        _ = try runtime.client(role: .device).update(round: 0, model: try update("about"), samples: 2)
        let published = try runtime.client(role: .device).awaitGlobal(round: 1)
        #expect(published.round == 1)
        runtime.stop()
        try copy.restore()
        let message = refusal(runtime)
        #expect(message.hasPrefix("sealed state is stale: the in-memory anchor anchored version 3 "), "\(message)")
        #expect(message.contains("the folder holds version 1 at most"))
    }

    @Test func flARolledBackUpdateAndADeletedOneOfTwoAreRefused() throws {
        let runtime = try federation(minUpdates: 3)
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .device).update(round: 0, model: try update("about"), samples: 2)
        let copy = try FolderCopy(runtime.sealedFolder)
        _ = try runtime.client(role: .device).update(round: 0, model: try update("white"), samples: 2)
        runtime.stop()
        let files = try FileManager.default.contentsOfDirectory(atPath: runtime.sealedFolder).sorted()
        let second = try #require(files.first { $0.hasPrefix("update-") && $0.hasSuffix("-3.sealed") })

        // One of the two acknowledged updates deleted: "resumed round 0 with 1 stored update" before.
        try FileManager.default.moveItem(atPath: "\(runtime.sealedFolder)/\(second)", toPath: "\(copy.copy)-aside")
        let deleted = refusal(runtime)
        #expect(deleted.hasPrefix("sealed state is stale: the in-memory anchor anchored version 3 "), "\(deleted)")
        #expect(deleted.contains("the folder holds version 2 at most"))
        try FileManager.default.moveItem(atPath: "\(copy.copy)-aside", toPath: "\(runtime.sealedFolder)/\(second)")

        // The whole folder put back as it was before the second update.
        try copy.restore()
        #expect(refusal(runtime).contains("the folder holds version 2 at most"))
    }

    @Test func flDeletingEverythingIsADenialOfServiceNotAFreshStart() throws {
        let runtime = try federation(minUpdates: 3)
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .device).update(round: 0, model: try update("about"), samples: 2)
        runtime.stop()
        for name in try FileManager.default.contentsOfDirectory(atPath: runtime.sealedFolder) {
            try FileManager.default.removeItem(atPath: "\(runtime.sealedFolder)/\(name)")
        }
        #expect(refusal(runtime).hasPrefix("sealed state is missing: the in-memory anchor anchored version 2 "))
    }

    @Test func flARoundWhosePublicationCannotBeAnchoredIsPublishedOnceTheAnchorIsBack() throws {
        let runtime = try federation(minUpdates: 1)
        defer { runtime.cleanUp() }
        runtime.anchor.isAvailable = false
        let sent = try update("about")
        let refused = #expect(throws: ChannelError.self) { try runtime.client(role: .device).update(round: 0, model: sent, samples: 2) }
        #expect(refused?.code == .unavailable)
        // The update counted (its round closes on it), but nothing is published while unanchored.
        #expect(try runtime.client(role: .device).getModel().round == 0)
        #expect(eventually { runtime.logs.messages.contains { $0.hasPrefix("the global model of round 1 is stored but not anchored, so it is not published yet: ") } })
        runtime.anchor.isAvailable = true
        // Published at the next try (every 5 s), once.
        let published = try runtime.client(role: .device).awaitGlobal(round: 1)
        #expect(published.round == 1)
        #expect(runtime.logs.messages.filter { $0.hasPrefix("---- round 0 closed: ") }.count == 1)
    }

    @Test func concurrentUpdatesAreAnchoredInBatches() throws {
        // A round trip of 50 ms at the anchor: one per update would take a second for 20.
        let anchor = MemoryAnchor(latency: .milliseconds(50))
        let runtime = try federation(minUpdates: 100, anchor: anchor)
        defer { runtime.cleanUp() }
        let count = 20
        let clients = Clients(try (0..<count).map { _ in try runtime.client(role: .device) })
        for client in clients.all { try client.connect() }
        let updates = try (0..<count).map { index in try update(["about", "white", "there", "which"][index % 4]) }
        let before = anchor.advances
        let acks = try concurrently(count) { index in try clients.all[index].update(round: 0, model: updates[index], samples: 2) }
        #expect(acks.count == count)
        let advances = anchor.advances - before
        #expect(advances < count, "\(advances) advances for \(count) updates")
        #expect(advances >= 1)
        // Every acknowledged update is in the anchored state.
        try runtime.restart()
        #expect(runtime.server.federation?.snapshot.updates.count == count)
    }
}

/// Device clients, one per thread.
///
/// `@unchecked Sendable`: thread `index` is the only one that uses client `index`.
private final class Clients: @unchecked Sendable {
    let all: [RuntimeClient]

    init(_ all: [RuntimeClient]) {
        self.all = all
    }
}
