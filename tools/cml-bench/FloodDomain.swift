import Attestation
import ByteKit
import Certifier
import Channel
import CommandSupport
import Foundation
import OpenSSLKit
import Policy
import Protocol
import WordModel

/// The flood suite's realm: a `cml-certifier serve` process on state made here, an attested
/// `cml-runtime serve --mode ml` process anchored at it with a model uploaded, and a device admitted for
/// the legitimate requests. `raised` raises the policy's per-peer connection limits and the servers'
/// total caps (see `FloodSuite`).
final class FloodDomain {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-flood-\(UUID().uuidString)").path
    let certifier: ServerProcess
    let runtime: ServerProcess
    private let root: Certificate
    private let platformKey: ECPrivateKey
    /// The attacker's platform.
    private let platformDirectory: String
    private let deviceMeasurement = SecureRandom.bytes(32)
    private let device: TLSContext
    private let bench: String

    init(binaries: String, raised: Bool) throws {
        bench = "\(binaries)/cml-bench"
        let runtimeExecutable = "\(binaries)/cml-runtime"
        // Two platforms: the legitimate parties on the first, the attacker's devices on the second, so that
        // the runtime's limit per platform counts the attacker's connections, not the legitimate device's.
        let state = try CertifierState.initialize(directory: "\(folder)/certifier", platforms: 2)
        root = state.policyCertificate
        platformKey = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        platformDirectory = state.platformDirectory(2)
        let attackerPlatform = try SimulatedPlatformFiles.privateKey(in: platformDirectory)
        let providerMeasurement = SecureRandom.bytes(32)
        let policy = PolicyDocument(
            name: "bench, flood",
            roles: [
                "runtime": RolePolicy(initialMeasurements: [HexBytes(try ExecutableMeasurement.of(file: runtimeExecutable))], secrets: ["sealing"]),
                "provider": RolePolicy(initialMeasurements: [HexBytes(providerMeasurement)]),
                "device": RolePolicy(initialMeasurements: [HexBytes(deviceMeasurement)]),
            ],
            platforms: [platformKey, attackerPlatform].map { key in
                TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: key.publicKey)), publicKey: key.publicKey.pem)
            },
            channels: [ChannelRule(from: "provider", to: "runtime"), ChannelRule(from: "device", to: "runtime")],
            limits: raised ? PolicyLimits(connectionsPerAddress: 1_000_000, connectionsPerCertificate: 1_000_000, connectionsPerPlatform: 1_000_000) : nil)
        let policyFile = "\(folder)/policy.signed"
        guard FileManager.default.createFile(atPath: policyFile, contents: Data(try SignedPolicy.sign(policy, key: try state.policyKeyInFolder()).bytes)) else {
            throw CommandFailure("flood: cannot write \(policyFile)")
        }
        let caps = raised ? ["--max-connections", "\(FloodSuite.raisedCap)", "--max-handshakes", "\(FloodSuite.raisedCap)"] : []
        certifier = try ServerProcess(
            "\(binaries)/cml-certifier",
            ["serve", "--state", "\(folder)/certifier", "--policy", policyFile, "--listen", "127.0.0.1:0"] + caps,
            log: "\(folder)/certifier.log", ready: "listening on ")
        // From here on processes may be running: a failure must not leave them behind.
        var started: ServerProcess?
        do {
            // The runtime attests in memory when it starts serving (its folder is the host's).
            let runtime = try ServerProcess(
                runtimeExecutable,
                [
                    "serve", "--state", "\(folder)/runtime", "--listen", "127.0.0.1:0", "--mode", "ml", "--certifier", "127.0.0.1:\(certifier.port)",
                    "--policy-cert", "\(folder)/certifier/policy.crt", "--attester", "sim", "--platform", state.platformDirectory,
                ] + caps,
                log: "\(folder)/runtime.log", ready: "serving ML mode on ")
            started = runtime
            let trainer = try Trainer(weights: ModelWeights(seed: 42))
            try trainer.train(try TrainingSet(words: ["which", "there", "their", "about", "white"]), epochs: 5)
            let provider = RuntimeClient(
                host: "127.0.0.1", port: runtime.port,
                context: try BenchAdmission.admit(role: .provider, measurement: providerMeasurement, port: certifier.port, root: root, platformKey: platformKey))
            _ = try provider.putModel(ModelBlob(model: Model(weights: trainer.weights, samples: 10)))
            provider.close()
            device = try BenchAdmission.admit(role: .device, measurement: deviceMeasurement, port: certifier.port, root: root, platformKey: platformKey)
            self.runtime = runtime
        } catch {
            started?.stop()
            certifier.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// A legitimate attestation: a new key, a nonce, the evidence, the certificate.
    func attest() throws {
        _ = try BenchAdmission.admit(role: .device, measurement: deviceMeasurement, port: certifier.port, root: root, platformKey: platformKey)
    }

    /// A legitimate device request: a new connection to the runtime and a `get-model`.
    func getModel() throws {
        let client = RuntimeClient(
            host: "127.0.0.1", port: runtime.port, context: device, configuration: .init(connectTimeout: .seconds(30), readTimeout: .seconds(30)))
        defer { client.close() }
        _ = try client.getModel()
    }

    /// The arguments of `cml-bench flood-attacker` for `count` connections of `kind` to `port` from
    /// `source`; against the runtime the TLS kinds admit a device of their own first, on the second platform.
    func attackerArguments(kind: String, port: UInt16, count: Int, source: String, runtime: Bool) -> [String] {
        var arguments = [bench, "flood-attacker", "--kind", kind, "--port", "\(port)", "--count", "\(count)", "--source", source, "--seconds", "600"]
        if kind != "tcp" { arguments += ["--root", "\(folder)/certifier/policy.crt"] }
        if kind != "tcp", runtime {
            arguments += [
                "--certifier-port", "\(certifier.port)", "--platform", platformDirectory,
                "--measurement", Hex.encode(deviceMeasurement),
            ]
        }
        return arguments
    }

    func stop() {
        runtime.stop()
        certifier.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// One `cml-bench flood-attacker` process: started, awaited until it holds its connections, stopped by
/// closing its standard input (and terminated if it does not end within 10 s).
///
/// `@unchecked Sendable`: one thread reads its output at a time (`awaitReady` once, on any thread); `stop`
/// runs after that.
final class AttackerProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    /// Starts `arguments[0]` with the rest.
    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try BenchChildren.run(process)
    }

    /// Waits for its `ready OPENED FAILED` line.
    func awaitReady() throws -> (opened: Int, failed: Int) {
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 3, words[0] == "ready", let opened = Int(words[1]), let failed = Int(words[2]) else {
            throw CommandFailure("flood: an attacker did not get ready: \"\(String(decoding: line, as: UTF8.self))\"")
        }
        return (opened, failed)
    }

    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
