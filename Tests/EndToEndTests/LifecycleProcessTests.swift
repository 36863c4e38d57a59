import Attestation
import ByteKit
import Foundation
import TestSupport
import Testing
import WordModel

/// The lifecycle with real processes (issue 12): more devices than a round needs, getting the model out,
/// a rolling upgrade of the runtime, and the messages people hit.
@Suite(.serialized)
struct LifecycleProcessTests {
    static let words = MLProcessTests.words

    /// An FL domain whose rounds close at `minUpdates` or at a `deadline`-second deadline with one update,
    /// counting one update per certificate (every device here runs on platform 1), with the runtime
    /// serving and the provider's initial model sent.
    func flDomain(minUpdates: Int, deadline: Int) throws -> (domain: AdmittedDomain, runtime: RunningProcess, port: UInt16) {
        let domain = try AdmittedDomain(template: "fl") {
            $0.replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": \(minUpdates),\n    \"one-update-per\": \"certificate\"")
                .replacingOccurrences(of: "\"round-deadline-seconds\": 60", with: "\"round-deadline-seconds\": \(deadline)")
        }
        try domain.admit("provider")
        let (runtime, port) = try domain.startRuntime(mode: "fl")
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", Self.words, "--epochs", "5", "--out", model]))
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
        return (domain, runtime, port)
    }

    @Test func fiveDevicesWithMinUpdatesTwoAllCompleteTwoRounds() throws {
        let (domain, runtime, port) = try flDomain(minUpdates: 2, deadline: 3)
        defer { runtime.stop() }
        let count = 5
        for number in 1...count {
            try AdmittedDomain.check(try domain.domain.attest("device", certifier: domain.certifier, state: domain.state("device\(number)")))
        }
        try "white\n".write(toFile: domain.path("white.txt"), atomically: true, encoding: .utf8)
        let started = try (1...count).map { number in
            try Executables.start(
                program: URL(fileURLWithPath: try Executables.path("cml-device")),
                [
                    "fl", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device\(number)"), "--words", domain.path("white.txt"),
                    "--epochs", "2", "--rounds", "2", "--out", domain.path("global\(number).cmlm"),
                ])
        }
        defer { for (process, _, _) in started where process.isRunning { process.terminate() } }
        let outputs = started.map { (process, output, error) in (process, BackgroundRead(output.fileHandleForReading), BackgroundRead(error.fileHandleForReading)) }
        for (number, (process, output, error)) in outputs.enumerated() {
            #expect(eventually(timeout: .seconds(120)) { !process.isRunning }, "device \(number + 1) did not finish its two rounds")
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let standardOutput = String(decoding: output.wait(), as: UTF8.self).split(separator: "\n").map(String.init)
            let standardError = String(decoding: error.wait(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "device \(number + 1): \(standardOutput)\n\(standardError)")
            // Standard output holds results only: the two completed rounds' global models and the --out line.
            let received = standardOutput.filter { $0.contains(": received global model ") }
            #expect(received.count == 2, "device \(number + 1): \(standardOutput)")
            #expect(standardOutput.last?.hasPrefix("wrote global model ") == true)
            let closed = standardError.split(separator: "\n").filter { $0.contains("closed before this device's update arrived (wrong-round)") }
            // Whether a device misses a round depends on how the five processes' starts interleave (the
            // miss itself is tested without timing in FLManyDevicesTests); a miss is reported as the next
            // round joined.
            for line in closed {
                #expect(line.hasSuffix("'s global model and taking part in it"))
            }
            // --out holds the last global model as received.
            let written = try ModelFile.read(domain.path("global\(number + 1).cmlm"))
            #expect(standardOutput.last?.contains("wrote global model \(written.shortID) of round ") == true)
        }
        #expect(runtime.isRunning)
    }

    @Test func fetchWritesTheRuntimesModelAsReceivedAndRefusesClearly() throws {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }
        let (runtime, port) = try domain.startRuntime()
        defer { runtime.stop() }
        let endpoint = "127.0.0.1:\(port)"
        let out = domain.path("fetched.cmlm")
        // No model yet: no-model, exit 1, nothing written.
        let empty = try Executables.run("cml-provider", ["fetch", "--runtime", endpoint, "--state", domain.state("provider"), "--out", out])
        #expect(empty.status == 1)
        #expect(empty.standardOutput.isEmpty)
        #expect(empty.standardError.contains("cannot fetch the model from the runtime at \(endpoint): "))
        #expect(empty.standardError.contains("no-model"))
        #expect(!FileBytes.exists(out))

        try domain.sendInitialModel(to: endpoint)
        let trained = try Executables.run("cml-device", ["train", "--runtime", endpoint, "--state", domain.state("device"), "about"])
        try AdmittedDomain.check(trained)

        let fetched = try Executables.run("cml-provider", ["fetch", "--runtime", endpoint, "--state", domain.state("provider"), "--out", out])
        try AdmittedDomain.check(fetched)
        let blob = try ModelFile.read(out)
        #expect(fetched.lines == [
            "id       \(blob.id)",
            "round    1",
            "samples  2",
            "lineage  model \(blob.shortID) of round 1, trained on 2 samples; the blob names no parent model",
            "written to \(out) (\(blob.size) bytes, as received)",
        ])
        // The device's --out writes the same model, as received.
        let deviceOut = domain.path("device.cmlm")
        let predicted = try Executables.run(
            "cml-device", ["predict", "--runtime", endpoint, "--state", domain.state("device"), "--out", deviceOut, "abo"])
        try AdmittedDomain.check(predicted)
        #expect(predicted.lines == ["about"])
        #expect(try FileBytes.read(deviceOut, limit: ModelBlob.maximumFileSize) == blob.bytes)

        // --out into a folder that does not exist: a usage error before anything is asked of the runtime.
        let missing = domain.path("no-such-folder/model.cmlm")
        let refused = try Executables.run("cml-provider", ["fetch", "--runtime", endpoint, "--state", domain.state("provider"), "--out", missing])
        #expect(refused.status == 64)
        #expect(refused.standardError.contains("--out \(missing): the folder \(domain.path("no-such-folder")) does not exist"))
        let refusedDevice = try Executables.run(
            "cml-device", ["predict", "--runtime", endpoint, "--state", domain.state("device"), "--out", missing, "abo"])
        #expect(refusedDevice.status == 64)
        #expect(try ModelFile.read(out) == blob)
    }

    @Test func aNewRuntimeBinaryInThePolicyOpensTheOldBinarysSealedState() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-upgrade-\(UUID().uuidString)").path
        try FileBytes.makeDirectory(folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The new binary: the runtime with one byte appended, so its measurement is another.
        let upgraded = "\(folder)/cml-runtime"
        try FileBytes.writeAtomically(
            try FileBytes.read(Executables.path("cml-runtime"), limit: Executables.maximumSize) + [0x0A], to: upgraded, mode: 0o755)
        let domain = try AdmittedDomain(extraMeasures: ["runtime=\(upgraded)"])
        let policy = try String(contentsOfFile: domain.path("policy.json"), encoding: .utf8)
        for binary in [try Executables.path("cml-runtime"), upgraded] {
            #expect(policy.contains(Hex.encode(try ExecutableMeasurement.of(file: binary))))
        }
        try domain.admit("provider")
        let (old, port) = try domain.startRuntime()
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", Self.words, "--epochs", "5", "--out", model]))
        try AdmittedDomain.check(try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
        #expect(old.end() == 0)

        // The new binary attests at its start and serves the sealed model.
        let new = try RunningProcess(program: upgraded, name: "cml-runtime (upgraded)", domain.serveArguments())
        defer { new.stop() }
        let measurement = Hex.short(try ExecutableMeasurement.of(file: upgraded))
        let admitted = try new.waitForLine { $0.contains("admitted as runtime (") }
        #expect(admitted.contains("admitted as runtime (measurement \(measurement), certificate serial "), "\(admitted)")
        let newPort = try new.waitForPort { $0.hasPrefix("serving ML mode on ") }
        let restored = try new.waitForLine { $0.contains("restored model ") }
        #expect(messages([restored]).first?.hasPrefix("restored model \(ModelBlob.shortID(of: try FileBytes.read(model, limit: ModelBlob.maximumFileSize))) ") == true)
        let fetched = try Executables.run(
            "cml-provider", ["fetch", "--runtime", "127.0.0.1:\(newPort)", "--state", domain.state("provider"), "--out", domain.path("after.cmlm")])
        try AdmittedDomain.check(fetched)
        #expect(try FileBytes.read(domain.path("after.cmlm"), limit: ModelBlob.maximumFileSize) == FileBytes.read(model, limit: ModelBlob.maximumFileSize))
    }

    @Test func generateRefusesAMissingBinaryAndWritesNothing() throws {
        let domain = try Domain()
        let out = "\(domain.folder)/upgrade.json"
        let result = try Executables.run(
            "cml-policy",
            [
                "generate", "--template", Executables.repositoryRoot.appendingPathComponent("policy-templates/ml.json").path, "--out", out,
                "--platform-key", "\(domain.platform)/platform.pem", "--measure", "runtime=\(try Executables.path("cml-runtime"))",
                "--measure", "runtime=\(domain.folder)/no-such-runtime", "--measure", "provider=\(try Executables.path("cml-provider"))",
                "--measure", "device=\(try Executables.path("cml-device"))",
            ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("--measure runtime=\(domain.folder)/no-such-runtime: "))
        #expect(result.standardError.contains("nothing written"))
        #expect(!FileBytes.exists(out))
    }

    @Test func everyToolAndSubcommandHasTheOneVersion() throws {
        let tools = [
            ("cml-certifier", ["init"]), ("cml-runtime", ["serve"]), ("cml-provider", ["fetch"]), ("cml-device", ["fl"]),
            ("cml-policy", ["show"]), ("cml-token", ["inspect"]), ("cml-bench", []),
        ]
        for (tool, subcommand) in tools {
            for arguments in [["--version"], subcommand + ["--version"]] {
                let result = try Executables.run(tool, arguments)
                #expect(result.status == 0, "\(tool) \(arguments): \(result.standardError)")
                #expect(result.lines == ["0.3.0"], "\(tool) \(arguments)")
            }
        }
    }

    @Test func theMessagesPeopleHit() throws {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }

        // Nothing listening: which role was expected there, and which command serves it.
        // Port 1: privileged, so nothing of this test suite listens there.
        let listener = 1
        let nowhere = try Executables.run(
            "cml-provider",
            ["fetch", "--runtime", "127.0.0.1:\(listener)", "--state", domain.state("provider"), "--out", domain.path("x.cmlm")])
        #expect(nowhere.standardError.contains(
            "cannot connect to the runtime at 127.0.0.1:\(listener): connection refused (is cml-runtime serve running there?)"), "\(nowhere.standardError)")

        // The unsigned policy where the signed one belongs (a domain of its own: this one's certifier is serving).
        let idle = try Domain()
        defer { try? FileManager.default.removeItem(atPath: idle.folder) }
        let unsigned = try Executables.run(
            "cml-certifier", ["serve", "--state", idle.state, "--policy", "\(idle.folder)/policy.json", "--listen", "127.0.0.1:0"])
        #expect(unsigned.status == 1)
        #expect(unsigned.standardError.contains("not a signed policy: this is policy JSON, which the policy key has not signed; sign the policy JSON with `cml-policy sign --key "))

        // A device of the wrong mode fails before any training.
        let (runtime, port) = try domain.startRuntime()
        defer { runtime.stop() }
        try "white\n".write(toFile: domain.path("white.txt"), atomically: true, encoding: .utf8)
        let fl = try Executables.run(
            "cml-device", ["fl", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "--words", domain.path("white.txt")])
        #expect(fl.status == 1)
        #expect(fl.standardError.contains("the runtime at 127.0.0.1:\(port) serves ML mode; cml-device fl needs an FL runtime"))
        #expect(!fl.standardError.contains("epoch"))
        #expect(runtime.isRunning)
    }

    @Test func runInMLModeAgainstAnFLRuntimeFailsBeforeTheSession() throws {
        let (domain, runtime, port) = try flDomain(minUpdates: 2, deadline: 60)
        defer { runtime.stop() }
        try domain.admit("device")
        let session = try Executables.run(
            "cml-device", ["run", "--mode", "ml", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device")], input: "abo\nabout\n")
        #expect(session.status == 1)
        #expect(session.standardError.contains(
            "the runtime at 127.0.0.1:\(port) serves FL mode; cml-device run --mode ml needs an ML runtime (use --mode fl)"))
        #expect(!session.standardOutput.contains("Type characters"))
    }
}
