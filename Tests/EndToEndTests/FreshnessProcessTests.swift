import Admission
import ByteKit
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing
import WordModel

/// Rollback of the sealed state with real `cml-runtime` and `cml-certifier` processes, as the attack was
/// made (docs/freshness.md), and SIGKILL at random points with the anchor in the path.
@Suite(.serialized) struct FreshnessProcessTests {
    /// A client of the runtime on `port` with the admission of `role` in `domain`.
    func client(_ domain: AdmittedDomain, role: Role, port: UInt16) throws -> RuntimeClient {
        let credentials = try RoleCredentials.load(stateDirectory: domain.state(role.rawValue), role: role)
        return RuntimeClient(host: "127.0.0.1", port: port, context: try credentials.clientContext())
    }

    /// `cml-runtime serve` on the runtime's state, anchored at the domain's certifier, expected to refuse.
    func refusedStart(_ domain: AdmittedDomain, mode: String = "ml") throws -> Executables.Result {
        try Executables.run(
            "cml-runtime",
            domain.serveArguments(mode: mode))
    }

    @Test func aWholeFolderPutBackAfterAnAcknowledgedTrainingIsRefusedNamingTheVersion() throws {
        let (domain, runtime, port, _) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        _ = try client(domain, role: .device, port: port).train(words: ["about"])
        let sealed = domain.state("runtime") + "/sealed"
        let copy = domain.path("sealed-copy")
        try FileManager.default.copyItem(atPath: sealed, toPath: copy)
        let acknowledged = try client(domain, role: .device, port: port).train(words: ["white"])
        #expect(acknowledged.blob.model.round == 2)
        #expect(runtime.end(with: SIGTERM) == 0)

        try FileManager.default.removeItem(atPath: sealed)
        try FileManager.default.moveItem(atPath: copy, toPath: sealed)
        let refused = try refusedStart(domain)
        #expect(refused.status == 1)
        #expect(refused.standardOutput.isEmpty)
        #expect(refused.standardError.contains(
            "Error: sealed state is stale: the certifier at \(domain.certifierAddress) anchored version 3 (digest "), "\(refused.standardError)")
        #expect(refused.standardError.contains("the folder holds version 2 at most (its newest file), an older copy: rolled back, or files deleted"))
    }

    @Test func oneOfTwoAcknowledgedUpdatesDeletedIsRefused() throws {
        let (domain, runtime, port, initial) = try FLProcessTests().servingDomain(minUpdates: 3, perCertificate: true)
        defer { runtime.stop() }
        let contexts = try AttestedDevices.admit(2, in: domain)
        for (index, context) in contexts.enumerated() {
            let model = try Self.perturbed(ModelBlob(bytes: initial), by: Float(index + 1), round: 0)
            _ = try RuntimeClient(host: "127.0.0.1", port: port, context: context).update(round: 0, model: model, samples: 2)
        }
        #expect(runtime.end(with: SIGTERM) == 0)
        let sealed = domain.state("runtime") + "/sealed"
        let updates = try FileManager.default.contentsOfDirectory(atPath: sealed).filter { $0.hasPrefix("update-0-") }.sorted()
        #expect(updates.count == 2)
        try FileManager.default.removeItem(atPath: "\(sealed)/\(try #require(updates.last))")
        let refused = try refusedStart(domain, mode: "fl")
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("Error: sealed state is stale: the certifier at \(domain.certifierAddress) anchored version 3 "), "\(refused.standardError)")
    }

    @Test func serveNeedsTheCertifierOrSaysLoudlyThatItIsUnanchored() throws {
        let domain = try AdmittedDomain()
        let refused = try Executables.run("cml-runtime", ["serve", "--state", domain.state("runtime"), "--listen", "127.0.0.1:0"])
        #expect(refused.status == 64)
        #expect(refused.standardError.contains("--certifier HOST:PORT is needed: the runtime attests to the certifier at every start"), "\(refused.standardError)")
        // --unanchored turns the anchor off, not the attestation: the certifier is still needed.
        let unanchoredAlone = try Executables.run("cml-runtime", ["serve", "--state", domain.state("runtime"), "--listen", "127.0.0.1:0", "--unanchored"])
        #expect(unanchoredAlone.status == 64)
        #expect(unanchoredAlone.standardError.contains("--certifier HOST:PORT is needed"), "\(unanchoredAlone.standardError)")
        let runtime = try RunningProcess("cml-runtime", domain.serveArguments() + ["--unanchored"])
        defer { runtime.stop() }
        _ = try runtime.waitForPort { $0.hasPrefix("serving ML mode on ") }
        let warning = try runtime.waitForLine { $0.contains("--unanchored: ") }
        #expect(messages([warning]).first?.hasPrefix(
            "warning: --unanchored: the sealed state is not anchored at the certifier, so a rollback, deletion or replacement of its files WILL NOT BE DETECTED") == true,
            "\(warning)")
    }

    @Test func sigkillAtRandomPointsOfTrainingLosesNoAcknowledgedModel() throws {
        var (domain, runtime, port, _) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        let credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        let context = try credentials.clientContext()
        var killedAfterAnAcknowledgement = 0
        // What the runtime serves after each start: the state every later one must not fall behind.
        var baseline = try client(domain, role: .device, port: port).getModel().blob
        for kill in 0..<25 {
            let acknowledged = Mutex<TrainedReply?>(nil)
            // The kill falls at a random point once training is under way (after its first acknowledgement,
            // however slow the machine), so that every kill tests an acknowledged model.
            let delay = Double.random(in: 0...0.1)
            let target = runtime
            let port_ = port
            _ = concurrentResults(2) { index in
                if index == 1 {
                    _ = eventually(timeout: .seconds(30)) { acknowledged.withLock { $0 != nil } }
                    Thread.sleep(forTimeInterval: delay)
                    target.end(with: SIGKILL)
                    return
                }
                // Trains until the runtime dies under it.
                let device = RuntimeClient(host: "127.0.0.1", port: port_, context: context)
                while let reply = try? device.train(words: ["about"]) { acknowledged.withLock { $0 = reply } }
            }
            (runtime, port) = try domain.startRuntime()
            let restored = try client(domain, role: .device, port: port).getModel().blob
            let last = acknowledged.withLock { $0?.blob }
            if last != nil { killedAfterAnAcknowledgement += 1 }
            let floor = last ?? baseline
            // The last acknowledged model, or the one whose training was under way (never acknowledged).
            #expect(restored.model.round == floor.model.round || restored.model.round == floor.model.round + 1,
                    "kill \(kill): restored round \(restored.model.round), last acknowledged \(floor.model.round)")
            if restored.model.round == floor.model.round { #expect(restored.id == floor.id, "kill \(kill)") }
            baseline = restored
        }
        // Every kill fell while training went on (the first acknowledgement came within its bound).
        #expect(killedAfterAnAcknowledgement == 25)
    }

    @Test func sigkillAtRandomPointsOfRoundsLosesNoAcknowledgedUpdateAndPublishesNoRoundTwice() throws {
        var (domain, runtime, port, _) = try FLProcessTests().servingDomain(minUpdates: 3, perCertificate: true)
        defer { runtime.stop() }
        let contexts = try AttestedDevices.admit(4, in: domain)
        let deviceContext = try RoleCredentials.load(stateDirectory: domain.state("provider"), role: .provider).clientContext()
        // Every global model seen, by round: one id per round, or a round was published twice.
        var published: [UInt64: String] = [:]
        func record(_ reply: ModelReply, _ kill: Int) {
            if let earlier = published[reply.round] {
                #expect(earlier == reply.blob.id, "kill \(kill): round \(reply.round) published as \(earlier.prefix(8)) and as \(reply.blob.id.prefix(8))")
            }
            published[reply.round] = reply.blob.id
        }
        var killsAfterAcknowledgements = 0
        for kill in 0..<25 {
            let current = try RuntimeClient(host: "127.0.0.1", port: port, context: deviceContext).getModel()
            record(current, kill)
            let round = current.round
            let delay = Double.random(in: 0.0...0.4)
            let target = runtime
            let port_ = port
            let updates = try (0..<contexts.count).map { index in try Self.perturbed(current.blob, by: Float(kill * 10 + index + 1), round: round) }
            let results = concurrentResults(contexts.count + 1) { index -> (acknowledged: Bool, global: ModelReply?) in
                if index == contexts.count {
                    Thread.sleep(forTimeInterval: delay)
                    target.end(with: SIGKILL)
                    return (false, nil)
                }
                let device = RuntimeClient(host: "127.0.0.1", port: port_, context: contexts[index])
                guard (try? device.update(round: round, model: updates[index], samples: 2)) != nil else { return (false, nil) }
                return (true, try? device.awaitGlobal(round: round + 1, timeout: .seconds(30)))
            }
            let acknowledged = results.compactMap { try? $0.get() }.filter(\.acknowledged).count
            if acknowledged > 0 { killsAfterAcknowledgements += 1 }
            for case .success(let outcome) in results { if let global = outcome.global { record(global, kill) } }

            (runtime, port) = try domain.startRuntime(mode: "fl")
            let after = try RuntimeClient(host: "127.0.0.1", port: port, context: deviceContext).getModel()
            record(after, kill)
            if after.round == round {
                let resumed = try runtime.waitForLine { $0.contains("resumed round ") }
                let stored = Int(resumed.split(separator: " with ").last?.split(separator: " ").first ?? "") ?? -1
                #expect(stored >= acknowledged, "kill \(kill): \(acknowledged) acknowledged, \(resumed)")
            } else {
                #expect(after.round == round + 1, "kill \(kill)")
                // Each update claims 2 samples: the aggregate counts every acknowledged one.
                #expect(after.blob.model.samples >= UInt64(2 * acknowledged), "kill \(kill): \(acknowledged) acknowledged, \(after.blob.model.samples) samples")
            }
        }
        #expect(published.keys.count > 1, "no round ever closed")
        #expect(killsAfterAcknowledgements >= 5)
    }

    /// `base`'s weights, each moved by `amount` / 1000, as the model of `round`.
    static func perturbed(_ base: ModelBlob, by amount: Float, round: UInt64) throws -> ModelBlob {
        let parameters = base.model.weights.parameters.map { $0 + amount / 1000 }
        return ModelBlob(model: Model(weights: try ModelWeights(parameters: parameters), round: round, samples: 2))
    }
}
