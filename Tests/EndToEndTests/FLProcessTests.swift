import Admission
import ByteKit
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import TestSupport
import Testing
import WordModel

/// FL mode with real processes: certifier, runtime, provider and devices, each attested, on loopback.
@Suite(.serialized)
struct FLProcessTests {
    /// An FL domain (the fl template with `minUpdates`, and `"one-update-per": "certificate"` when
    /// `perCertificate`: devices admitted in this process all run on platform 1) of `platforms` simulated
    /// platforms, the runtime serving FL mode, and the provider's initial model (seed 42, 5 epochs on
    /// data/words-short.txt, as the demo) uploaded, with the validation list `validation` if given.
    func servingDomain(
        minUpdates: Int = 2, perCertificate: Bool = false, platforms: Int = 1, validation: [String]? = nil
    ) throws -> (domain: AdmittedDomain, runtime: RunningProcess, port: UInt16, initial: [UInt8]) {
        let domain = try AdmittedDomain(template: "fl", platforms: platforms) {
            $0.replacingOccurrences(
                of: "\"min-updates\": 2", with: "\"min-updates\": \(minUpdates)\(perCertificate ? ",\n    \"one-update-per\": \"certificate\"" : "")")
        }
        try domain.admit("provider")
        let (runtime, port) = try domain.startRuntime(mode: "fl")
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        var arguments = ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider")]
        if let validation {
            let list = domain.path("validation.txt")
            try validation.map { $0 + "\n" }.joined().write(toFile: list, atomically: true, encoding: .utf8)
            arguments += ["--validation", list]
        }
        try AdmittedDomain.check(try Executables.run("cml-provider", arguments + [model]))
        return (domain, runtime, port, try [UInt8](Data(contentsOf: URL(fileURLWithPath: model))))
    }

    @Test func twoDevicesEachCompleteTheOthersWordAfterTheRound() throws {
        // Each device on a platform of its own: the policy counts one update per platform.
        let (domain, runtime, port, initial) = try servingDomain(platforms: 2, validation: ["quilt", "zebra", "about", "white"])
        defer { runtime.stop() }
        for (number, device) in ["device1", "device2"].enumerated() {
            try AdmittedDomain.check(
                try domain.domain.attest("device", certifier: domain.certifier, platform: domain.domain.platform(number + 1), state: domain.state(device)))
        }
        try "white\n".write(toFile: domain.path("white.txt"), atomically: true, encoding: .utf8)
        let endpoint = "127.0.0.1:\(port)"
        // Device 1: the interactive session; device 2: the scripted command. Both wait for the round.
        let (first, firstOutput, _) = try Executables.start(
            program: URL(fileURLWithPath: try Executables.path("cml-device")),
            ["run", "--mode", "fl", "--runtime", endpoint, "--state", domain.state("device1")], input: "abo\nabout\nwhi\n")
        // Device 1 waits for the round up to an hour: whatever fails, it must not outlive the test.
        defer { if first.isRunning { first.terminate() } }
        let firstText = BackgroundRead(firstOutput.fileHandleForReading)
        let second = try Executables.run(
            "cml-device",
            ["fl", "--runtime", endpoint, "--state", domain.state("device2"), "--words", domain.path("white.txt"), "--predict", "abo"])
        try AdmittedDomain.check(second)
        // Device 2's round closed, so device 1 has its global model too.
        #expect(eventually(timeout: .seconds(120)) { !first.isRunning }, "device 1 did not end after the round")
        if first.isRunning { first.terminate() }
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)

        let lines = String(decoding: firstText.wait(), as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(lines.count == 20, "\(lines)")
        #expect(lines[0] == "downloaded model \(ModelBlob.shortID(of: initial)) (\(initial.count) bytes, round 0) from the runtime at \(endpoint)")
        #expect(Array(lines[1...3]) == ["Type characters: abo", lines[2], "Type correct answer: about"] && lines[2] != "Prediction: about")
        #expect(lines[4..<14].map { $0.prefix { $0 != "," } } == (0..<10).map { "epoch: \($0 * 10)" })
        #expect(lines[14].hasPrefix("sent update ") && lines[14].hasSuffix(" for round 0 (2 samples); the runtime acknowledged it"))
        #expect(lines[15] == "waiting for the global model of round 1 ...")
        #expect(lines[16].hasPrefix("received global model ") && lines[16].hasSuffix(" of round 1 (4 samples)"))
        #expect(Array(lines[17...19]) == ["Type characters: whi", "Prediction: white", "Type correct answer: "])

        // Progress on standard error, as the device's log lines; the round's global model and the predictions on standard output.
        let scripted = messages(second.standardError.split(separator: "\n").map(String.init))
        #expect(scripted.first == "downloaded global model \(ModelBlob.shortID(of: initial)) (\(initial.count) bytes, round 0) from the runtime at \(endpoint)")
        #expect(scripted.contains { $0.hasPrefix("round 0: trained locally on 1 word (2 samples), 100 epochs: loss ") })
        #expect(second.lines == ["round 1: received global model \(lines[16].split(separator: " ")[3]) (4 samples)", "abo -> about"])

        let log = messages(runtime.standardError)
        #expect(log.contains("federated rounds under the policy's rule: FedAvg after norm clipping to 20.0; a round closes at 2 updates, or at its 60 s deadline with at least 1; one update per platform"))
        #expect(log.contains("---- round 0 closes with 2 updates, min-updates reached: aggregating with FedAvg after norm clipping to 20.0 ----"))
        // Both devices sent their loss with their update: the close line gives the mean; and the global
        // model is measured on the provider's validation list, whose words no log line names.
        let global = lines[16].split(separator: " ")[3]
        #expect(log.contains { $0.hasPrefix("---- round 0 closed: global model \(global) of round 1 (2 updates, 4 samples, ") && $0.contains(" ms, mean loss ") })
        #expect(scripted.contains { $0.hasPrefix("round 0: sent update ") && $0.contains(" (2 samples, loss ") })
        _ = try runtime.waitForLine { $0.hasSuffix(" of 8 prefixes) for model \(global)") }
        #expect(!runtime.standardError.contains { $0.contains("quilt") || $0.contains("zebra") })
    }

    @Test func aProviderWhosePolicyFileWasSwappedForAnotherSignedOneRefusesToConnect() throws {
        // (The runtime keeps its policy in memory only, so its host has no file to swap: InMemoryAdmissionProcessTests.)
        let domain = try AdmittedDomain(template: "fl")
        try domain.admit("provider")
        let path = domain.state("provider") + "/policy.signed"
        let admitted = try FileBytes.read(path, limit: SignedPolicy.maximumFileSize)
        // The swap: the same domain's policy with another aggregation rule, signed by the domain key.
        let json = try FileBytes.readText(domain.path("policy.json"), limit: SignedPolicy.maximumFileSize)
        let other = json.replacingOccurrences(of: "\"aggregation\": \"fedavg\"", with: "\"aggregation\": \"median\"")
        #expect(other != json)
        try FileBytes.writeAtomically(text: other, to: domain.path("other.json"))
        try AdmittedDomain.check(
            try Executables.run(
                "cml-policy", ["sign", "--key", "\(domain.domain.state)/policy.key", "--in", domain.path("other.json"), "--out", path]))
        let swapped = try FileBytes.read(path, limit: SignedPolicy.maximumFileSize)

        let refused = try Executables.run(
            "cml-provider", ["fetch", "--runtime", "127.0.0.1:9", "--state", domain.state("provider"), "--out", domain.path("fetched.cmlm")])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains(
            "\(path) has SHA-256 \(Hex.short(Digest.sha256.hash(swapped))), but the admission certificate was issued under "
                + "\(Hex.short(Digest.sha256.hash(admitted))): the policy file was replaced; attest again (`cml-provider attest`)"),
            "\(refused.standardError)")
    }

    @Test func aHundredAttestedDevicesForThreeRoundsGetTheFedAvgOfTheirUpdates() throws {
        let (domain, runtime, port, initial) = try servingDomain(minUpdates: 100, perCertificate: true)
        defer { runtime.stop() }
        let contexts = try AttestedDevices.admit(100, in: domain)
        let words = ["about", "white", "there", "their", "which", "words", "water", "where", "other", "world"]
        var global = try ModelBlob.decode(initial)
        for round in UInt64(0)..<3 {
            let base = global
            // Device i trains on 1 to 3 words, so sample counts (the FedAvg weights) differ.
            let results = try concurrently(100, stackSize: 512 << 10) { index -> (Model, ModelReply) in
                let client = RuntimeClient(host: "127.0.0.1", port: port, context: contexts[index])
                defer { client.close() }
                let download = try client.getModel()
                let trainer = try Trainer(weights: download.blob.model.weights)
                let set = try TrainingSet(words: (0...(index % 3)).map { words[(index + $0) % words.count] })
                try trainer.train(set, epochs: 3)
                let model = Model(weights: trainer.weights, round: download.round, samples: UInt64(set.count))
                let ack = try client.update(round: download.round, model: ModelBlob(model: model), samples: model.samples)
                #expect(ack.round == round)
                return (model, try client.awaitGlobal(round: round + 1, timeout: .seconds(120)))
            }
            let replies = results.map(\.1)
            #expect(Set(replies.map(\.blob.id)).count == 1 && replies.allSatisfy { $0.round == round + 1 })
            global = replies[0].blob.model
            // FedAvg computed here: the sample-weighted mean of the updates.
            let models = results.map(\.0)
            let total = Double(models.reduce(0) { $0 + $1.samples })
            var worst: Float = 0
            for index in 0..<ModelWeights.parameterCount {
                let mean = models.reduce(0.0) { $0 + Double($1.samples) * Double($1.weights.parameters[index]) } / total
                worst = max(worst, abs(Float(mean) - global.weights.parameters[index]))
            }
            #expect(worst < 1e-6, "round \(round): the global model is \(worst) away from the FedAvg of the updates")
            #expect(global.samples == UInt64(total) && global.weights != base.weights)
        }
        #expect(messages(runtime.standardError).filter { $0.hasPrefix("---- round ") && $0.contains(" closed: ") }.count == 3)
    }

    @Test func sigkillMidRoundThenRestartCompletesTheRoundWithEveryAcknowledgedUpdate() throws {
        let (domain, runtime, port, initial) = try servingDomain(minUpdates: 3, perCertificate: true)
        let contexts = try AttestedDevices.admit(3, in: domain)
        let updates = try ["about", "white", "there"].map { word in
            let trainer = try Trainer(weights: try ModelBlob.decode(initial).weights)
            try trainer.train(try TrainingSet(words: [word]), epochs: 10)
            return ModelBlob(model: Model(weights: trainer.weights, samples: 2))
        }
        for index in 0..<2 {
            let ack = try RuntimeClient(host: "127.0.0.1", port: port, context: contexts[index]).update(round: 0, model: updates[index], samples: 2)
            #expect(ack.id == updates[index].id)
        }
        #expect(runtime.end(with: SIGKILL) == SIGKILL)

        let (restarted, newPort) = try domain.startRuntime(mode: "fl")
        defer { restarted.stop() }
        let resumed = try restarted.waitForLine { $0.contains("resumed round ") }
        #expect(messages([resumed]).first?.hasSuffix(" with 2 stored updates") == true)
        // The first device's update was acknowledged before the kill: sending it again is acknowledged again.
        let again = try RuntimeClient(host: "127.0.0.1", port: newPort, context: contexts[0]).update(round: 0, model: updates[0], samples: 2)
        #expect(again.round == 0)
        _ = try RuntimeClient(host: "127.0.0.1", port: newPort, context: contexts[2]).update(round: 0, model: updates[2], samples: 2)
        let global = try RuntimeClient(host: "127.0.0.1", port: newPort, context: contexts[1]).awaitGlobal(round: 1, timeout: .seconds(60))
        let weights = global.blob.model
        #expect(weights.samples == 6)
        let models = updates.map { $0.model.weights.parameters }
        let worst = (0..<ModelWeights.parameterCount).map { index in
            abs(Float(models.reduce(0.0) { $0 + Double($1[index]) } / 3) - weights.weights.parameters[index])
        }.max() ?? 1
        #expect(worst < 1e-6)
        #expect(restarted.end(with: SIGTERM) == 0)
    }
}
