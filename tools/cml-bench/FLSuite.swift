import Admin
import Admission
import Attestation
import ByteKit
import Certifier
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Privacy
import Protocol
import Synchronization
import WordModel

/// One federated round with 10, 100 and 1,000 devices against a real `cml-runtime serve --mode fl`
/// process (built beside this bench), every party attested to a certifier in this process.
///
/// Setup, not timed: the certifier, the runtime's start (it attests in memory), the provider's initial model,
/// each device's own attestation, connection, download, and its update (the global model slightly
/// perturbed, so no two are alike). Timed, `round_latency_ms`: from the moment every device sends its
/// `update` until the last of them holds the global model of the next round, i.e. the runtime's
/// sealing of every update and its anchoring at the certifier (grouped) before its acknowledgement, the aggregation, the sealing of the global model
/// and its delivery to every waiting device. `runtime_peak_rss_mb` is the runtime process's VmHWM
/// (/proc/PID/status) after all rounds of that device count.
struct FLSuite: BenchSuite {
    let name = "fl"
    static let deviceCounts = [10, 100, 1000]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        // The database store, replicas and device counts of one's choice are measured by FLStoreSuite.
        if settings.store == "postgres" || settings.devices != nil { return try FLStoreSuite().run(settings, reporter) }
        _ = OpenFileLimit.raiseToHardLimit()
        let runtime = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("cml-runtime").path ?? "cml-runtime"
        guard FileManager.default.isExecutableFile(atPath: runtime) else {
            throw CommandFailure("fl: \(runtime) is not built (tools/bench builds it beside cml-bench)")
        }
        // Plain FedAvg, then DP-FedAvg (sampling rate 1, so every device is admitted and the round closes at
        // the same count): the difference is what DP costs a round.
        for (dp, devices) in [false, true].flatMap({ dp in Self.deviceCounts.map { (dp, $0) } }) {
            let bench = try FederationBench(devices: devices, runtimeExecutable: runtime, dp: dp, admin: settings.admin)
            defer { bench.stop() }
            let poller = bench.adminPort.map { AdminPoller(port: $0) }
            defer { poller?.stop() }
            let rule = dp ? "DP-FedAvg" : "FedAvg"
            StandardError.line("fl: \(devices) devices attested and connected (\(rule)); runtime pid \(bench.pid) on port \(bench.port)")
            var latencies: [Double] = []
            // The first round warms up; each later one is measured.
            for run in 0...settings.runs {
                let seconds = try bench.runRound()
                if run > 0 { latencies.append(seconds) }
                StandardError.line("fl: \(devices) devices, round \(run)\(run == 0 ? " (warm-up)" : ""): \(String(format: "%.1f", seconds * 1e3)) ms")
            }
            let latency = Measure.median(latencies) * 1e3
            let peak = try bench.peakResidentMegabytes()
            StandardError.line("fl: \(devices) devices (\(rule)): round \(String(format: "%.1f", latency)) ms (median), runtime peak RSS \(String(format: "%.1f", peak)) MB")
            reporter.figure("round_latency_ms", value: latency, unit: "ms", parameters: ["devices": devices, "dp": dp ? 1 : 0])
            reporter.figure("runtime_peak_rss_mb", value: peak, unit: "MB", parameters: ["devices": devices, "dp": dp ? 1 : 0])
        }
    }
}

/// A certifier in this process, an attested `cml-runtime serve --mode fl` process whose rounds close at
/// `devices` updates, its initial model, and `devices` attested devices connected to it.
private final class FederationBench: @unchecked Sendable {
    // `@unchecked Sendable`: device thread `index` is the only one that touches `clients[index]` and
    // `updates[index]`; the rest is set in `init` and only read afterwards.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-bench-fl-\(UUID().uuidString)").path
    let process = Process()
    let port: UInt16
    /// The runtime's admin endpoint's port, when it serves one.
    let adminPort: UInt16?
    private let certifier: FLBenchCertifier
    private let clients: [RuntimeClient]
    private var updates: [ModelBlob] = []
    private var round: UInt64 = 0

    var pid: Int32 { process.processIdentifier }

    /// With `dp`, the policy sets fl.privacy (Z = 1, Q = 1, D = devices), so rounds aggregate with DP-FedAvg.
    init(devices: Int, runtimeExecutable: String, dp: Bool = false, admin: Bool = false) throws {
        certifier = try FLBenchCertifier(
            folder: "\(folder)/certifier", name: "bench, FL mode", runtimeExecutable: runtimeExecutable,
            federated: FederatedSettings(
                minUpdates: devices, quorum: devices, roundDeadlineSeconds: 3600,
                privacy: dp
                    ? PrivacySettings(
                        clipNorm: 5, noiseMultiplier: 1, samplingRate: 1, expectedUpdates: Double(devices), delta: 1e-5, maxEpsilon: 1e6)
                    : nil,
                oneUpdatePer: .certificate))

        // From here on a runtime process may be running: a failure must not leave it behind.
        do {
            // The runtime attests at its start (in memory), as in production.
            let (port, adminPort) = try Self.serve(
                process, runtimeExecutable, state: "\(folder)/runtime", log: "\(folder)/runtime.log", attestation: certifier.runtimeArguments,
                admin: admin)
            self.port = port
            self.adminPort = adminPort

            let admit = certifier.admit
            let trainer = try Trainer(weights: ModelWeights(seed: 42))
            try trainer.train(try TrainingSet(words: ["which", "there", "their", "about", "white"]), epochs: 5)
            let provider = RuntimeClient(host: "127.0.0.1", port: port, context: try admit(.provider))
            _ = try provider.putModel(ModelBlob(model: Model(weights: trainer.weights, samples: 10)))
            provider.close()

            let contexts = Contexts(count: devices)
            try runConcurrently(8, label: "fl setup") { worker in
                for index in stride(from: worker, to: devices, by: 8) { contexts.set(index, try admit(.device)) }
            }
            clients = try contexts.all().map { context in
                RuntimeClient(
                    host: "127.0.0.1", port: port, context: context, configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(600)))
            }
            try FLDevices.connect(count: clients.count) { [self] index in try clients[index].connect() }
            try prepareUpdates()
        } catch {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            certifier.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    /// One round, timed: every device uploads its update and waits for the next global model.
    func runRound() throws -> Double {
        let round = self.round
        let seconds = try Measure.time {
            try runConcurrently(clients.count, label: "fl round") { [self] index in
                _ = try clients[index].update(round: round, model: updates[index], samples: 2)
                let global = try clients[index].awaitGlobal(round: round + 1)
                guard global.round == round + 1 else { throw CommandFailure("device \(index) got the global model of round \(global.round)") }
            }
        }
        self.round += 1
        try prepareUpdates()
        return seconds
    }

    /// The runtime's peak resident memory (VmHWM) in MB.
    func peakResidentMegabytes() throws -> Double {
        // /proc reports size 0; the bounded read still stops at the limit.
        let status = try FileBytes.readText("/proc/\(pid)/status", limit: FileSizeLimit(bytes: 64 << 10, kind: "a /proc status file"))
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { throw CommandFailure("fl: no VmHWM in /proc/\(pid)/status") }
        return kilobytes / 1024
    }

    func stop() {
        for client in clients { client.close() }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        certifier.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Each device's next update: the current global model, perturbed by the device's own noise.
    private func prepareUpdates() throws {
        updates = FLDevices.updates(from: try clients[0].getModel().blob.model, round: round, count: clients.count)
    }

    /// Starts `cml-runtime serve --mode fl` in `process` (logs to `log`), attesting to and anchored at the
    /// bench's certifier (with the options `attestation`), with the admin endpoint on an OS-picked port if
    /// `admin`; returns the port it serves on and the admin endpoint's.
    private static func serve(
        _ process: Process, _ executable: String, state: String, log: String, attestation: [String], admin: Bool
    ) throws -> (port: UInt16, admin: UInt16?) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--state", state, "--listen", "127.0.0.1:0", "--mode", "fl"]
            + attestation + (admin ? ["--admin-listen", "127.0.0.1:0"] : [])
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw CommandFailure("fl: cannot create \(log)") }
        process.standardError = FileHandle(forWritingAtPath: log)
        let output = Pipe()
        process.standardOutput = output
        try BenchChildren.run(process)
        func nextLine() throws -> String {
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            return String(decoding: line, as: UTF8.self)
        }
        var adminPort: UInt16?
        var text = try nextLine()
        // With --admin-listen, "admin on http://HOST:PORT" comes first.
        if admin, text.hasPrefix("admin on http://") {
            adminPort = UInt16(text.split(separator: ":").last ?? "")
            text = try nextLine()
        }
        guard text.hasPrefix("serving FL mode on "), let port = UInt16(text.split(separator: ":").last ?? ""), admin == (adminPort != nil) else {
            throw CommandFailure("fl: the runtime did not start: \"\(text)\" (log: \(log))")
        }
        return (port, adminPort)
    }
}
