import Attestation
import Certifier
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import WordModel

/// A certifier in this process, `replicas` attested `cml-runtime serve --mode fl` processes whose rounds
/// close at `devices` updates (sharing them through `database` when given, otherwise one runtime on its
/// folder), the initial model, and `devices` attested devices connected to them, spread over the
/// replicas: device i's address list starts with replica i mod `replicas`, then the others.
///
/// Every device has a certificate of its own (real admissions, 16 at a time); the policy counts one
/// update per certificate (all devices run on the bench's one platform) and raises the per-address and
/// per-platform connection limits; each runtime's `--max-connections` is set to hold every device, so a
/// replica could take over all of them.
final class ReplicatedFederation: @unchecked Sendable {
    // `@unchecked Sendable`: device thread `index` is the only one that touches `clients[index]` and
    // `updates[index]`; the rest is set in `init` and only read afterwards.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-fl-replicas-\(UUID().uuidString)").path
    /// The runtime replicas, in the order devices' lists rotate through.
    let runtimes: [ServerProcess]
    /// Each runtime's `--max-connections`.
    let connectionCap: Int
    private let certifier: FLBenchCertifier
    private let clients: [RuntimeClient]
    private var updates: [ModelBlob] = []
    private var round: UInt64 = 0

    init(devices: Int, replicas: Int, binaries: String, database: BenchDatabase?) throws {
        let runtimeExecutable = "\(binaries)/cml-runtime"
        certifier = try FLBenchCertifier(
            folder: "\(folder)/certifier", name: "bench, FL mode with replicas", runtimeExecutable: runtimeExecutable,
            federated: FederatedSettings(minUpdates: devices, quorum: devices, roundDeadlineSeconds: 3600, oneUpdatePer: .certificate),
            // Every device comes from 127.0.0.1 and runs on the one platform.
            limits: PolicyLimits(connectionsPerAddress: PolicyLimits.maximumConnections, connectionsPerPlatform: PolicyLimits.maximumConnections))
        connectionCap = max(4096, devices + 256)

        var started: [ServerProcess] = []
        // From here on runtime processes may be running: a failure must not leave them behind.
        do {
            if let database {
                let migrate = try ProgramRun.run(runtimeExecutable, ["migrate", "--store", database.connectionString], includeErrors: true)
                guard migrate.status == 0 else { throw CommandFailure("fl: cml-runtime migrate failed (\(migrate.status)): \(migrate.output)") }
            }
            for replica in 0..<replicas {
                var arguments = [
                    "serve", "--state", "\(folder)/runtime-\(replica)", "--listen", "127.0.0.1:0", "--mode", "fl",
                    "--max-connections", "\(connectionCap)",
                ] + certifier.runtimeArguments
                if let database { arguments += ["--store", database.connectionString, "--replica", "r\(replica)"] }
                started.append(
                    try ServerProcess(runtimeExecutable, arguments, log: "\(folder)/runtime-\(replica).log", ready: "serving FL mode on "))
            }
            runtimes = started

            let admit = certifier.admit
            let trainer = try Trainer(weights: ModelWeights(seed: 42))
            try trainer.train(try TrainingSet(words: ["which", "there", "their", "about", "white"]), epochs: 5)
            let provider = RuntimeClient(host: "127.0.0.1", port: started[0].port, context: try admit(.provider))
            _ = try provider.putModel(ModelBlob(model: Model(weights: trainer.weights, samples: 10)))
            provider.close()

            let contexts = Contexts(count: devices)
            let admitters = 16
            try runConcurrently(admitters, label: "fl setup") { worker in
                for index in stride(from: worker, to: devices, by: admitters) { contexts.set(index, try admit(.device)) }
            }
            let addresses = started.map { ServerAddress(host: "127.0.0.1", port: $0.port) }
            clients = try contexts.all().enumerated().map { index, context in
                let first = index % addresses.count
                return RuntimeClient(
                    addresses: Array(addresses[first...] + addresses[..<first]), context: context,
                    configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(600)))
            }
            try FLDevices.connect(count: clients.count) { [self] index in try clients[index].connect() }
            try prepareUpdates()
        } catch {
            for runtime in started { runtime.stop() }
            certifier.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// One round, timed from the moment every device thread is ready until the last holds the global
    /// model of the next round: each device uploads its update and waits for that model.
    func runRound() throws -> Double {
        let round = self.round
        let gate = StartGate(parties: clients.count)
        try runConcurrently(clients.count, label: "fl round") { [self] index in
            gate.arriveAndWait()
            _ = try clients[index].update(round: round, model: updates[index], samples: 2)
            let global = try clients[index].awaitGlobal(round: round + 1)
            guard global.round == round + 1 else { throw CommandFailure("device \(index) got the global model of round \(global.round)") }
            gate.finished()
        }
        self.round += 1
        try prepareUpdates()
        return try gate.elapsedSeconds()
    }

    /// Each device's next update: the current global model, perturbed by the device's own noise.
    private func prepareUpdates() throws {
        updates = FLDevices.updates(from: try clients[0].getModel().blob.model, round: round, count: clients.count)
    }

    func stop() {
        for client in clients { client.close() }
        for runtime in runtimes { runtime.stop() }
        certifier.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}
