import ByteKit
import Channel
import CommandSupport
import Foundation
import Glibc

/// `tools/bench fl --store postgres [--replicas N]` (and `--devices N,...` on either store): federated
/// rounds of 1,000 and 10,000 devices against `N` real `cml-runtime serve --mode fl --store URL`
/// processes sharing a throwaway PostgreSQL cluster of the bench's own (`BenchDatabase`), devices spread
/// over them (`ReplicatedFederation`). On the folder store (`--store dir --devices ...`), one runtime.
///
/// Figures per device count: `round_latency_ms` (the median of `--runs` rounds after a warm-up, each timed
/// from the moment every device thread is ready to send its update until the last holds the next global
/// model), `runtime_peak_rss_mb` of each replica (VmHWM after all rounds), with PostgreSQL
/// `pg_transactions_per_round` (committed in the database from a round's start until a second after it,
/// once the servers' statistics are flushed: the round's own and whatever the replicas do while idle) and
/// `pg_idle_transactions_per_s` (the replicas idle, before the first round). Where the work went, per
/// round (medians): `runtime_cpu_s_per_round` (all replicas), `pg_cpu_s_per_round` (the postmaster and its
/// backends) and `bench_cpu_s_per_round` (the devices and the certifier, in this process). `cores` is the
/// machine's: replicas, devices and PostgreSQL share them. PostgreSQL runs with fsync on.
struct FLStoreSuite {
    static let deviceCounts = [1000, 10_000]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        _ = OpenFileLimit.raiseToHardLimit()
        let binaries = Bundle.main.executableURL?.deletingLastPathComponent().path ?? "."
        guard FileManager.default.isExecutableFile(atPath: "\(binaries)/cml-runtime") else {
            throw CommandFailure("fl: \(binaries)/cml-runtime is not built (tools/bench builds it beside cml-bench)")
        }
        let postgres = settings.store == "postgres"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        StandardError.line(
            "fl: \(settings.replicas) runtime replica\(settings.replicas == 1 ? "" : "s") on the \(postgres ? "PostgreSQL" : "folder") store; "
                + "\(cores) cores shared by the runtime\(postgres ? ", PostgreSQL" : ""), the devices and the certifier; load \(Self.load())")
        reporter.figure("cores", value: Double(cores), unit: "cores")
        for devices in settings.devices ?? Self.deviceCounts {
            let database = postgres ? try BenchDatabase() : nil
            defer { database?.stop() }
            let federation = try ReplicatedFederation(devices: devices, replicas: settings.replicas, binaries: binaries, database: database)
            defer { federation.stop() }
            let parameters = [("devices", devices), ("replicas", settings.replicas), ("postgres", postgres ? 1 : 0)]
            StandardError.line(
                "fl: \(devices) devices attested and connected; runtime pids \(federation.runtimes.map { "\($0.pid)" }.joined(separator: ", ")), "
                    + "each with --max-connections \(federation.connectionCap); load \(Self.load())")
            if let database {
                let before = try database.committedTransactions()
                let idle = 3.0
                Thread.sleep(forTimeInterval: idle)
                let rate = Double(try database.committedTransactions() - before) / idle
                StandardError.line("fl: \(devices) devices, replicas idle: \(String(format: "%.1f", rate)) PostgreSQL transactions/s")
                reporter.figure("pg_idle_transactions_per_s", value: rate, unit: "transactions/s", pairs: parameters)
            }
            var latencies: [Double] = [], transactions: [Double] = []
            var cpu: [(runtimes: Double, database: Double, bench: Double)] = []
            let server = try database?.serverProcess()
            let usage = {
                (
                    runtimes: federation.runtimes.reduce(0.0) { $0 + ProcessCPU.seconds($1.pid) },
                    database: server.map { ProcessCPU.seconds($0, children: true) } ?? 0, bench: ProcessCPU.seconds(getpid())
                )
            }
            // The first round warms up; each later one is measured.
            for run in 0...settings.runs {
                let before = try database?.committedTransactions()
                let start = usage()
                let seconds = try federation.runRound()
                let end = usage()
                var note = String(
                    format: ", CPU %.1f s runtime%@, %.1f s PostgreSQL, %.1f s bench (devices and certifier)", end.runtimes - start.runtimes,
                    federation.runtimes.count == 1 ? "" : "s", end.database - start.database, end.bench - start.bench)
                if run > 0 { cpu.append((end.runtimes - start.runtimes, end.database - start.database, end.bench - start.bench)) }
                if let database, let before, run > 0 {
                    // Other sessions report their counts when idle, within about a second.
                    Thread.sleep(forTimeInterval: 1.2)
                    let count = Double(try database.committedTransactions() - before)
                    transactions.append(count)
                    note += ", \(Int(count)) PostgreSQL transactions"
                }
                if run > 0 { latencies.append(seconds) }
                StandardError.line(
                    "fl: \(devices) devices, round \(run)\(run == 0 ? " (warm-up)" : ""): \(String(format: "%.1f", seconds * 1e3)) ms\(note)")
            }
            let latency = Measure.median(latencies) * 1e3
            reporter.figure("round_latency_ms", value: latency, unit: "ms", pairs: parameters)
            reporter.figure("runtime_cpu_s_per_round", value: Measure.median(cpu.map(\.runtimes)), unit: "s", pairs: parameters)
            if postgres { reporter.figure("pg_cpu_s_per_round", value: Measure.median(cpu.map(\.database)), unit: "s", pairs: parameters) }
            reporter.figure("bench_cpu_s_per_round", value: Measure.median(cpu.map(\.bench)), unit: "s", pairs: parameters)
            var peaks: [String] = []
            for (index, runtime) in federation.runtimes.enumerated() {
                let peak = try runtime.memoryMegabytes("VmHWM")
                peaks.append(String(format: "%.1f", peak))
                reporter.figure("runtime_peak_rss_mb", value: peak, unit: "MB", pairs: parameters + [("replica", index)])
            }
            var summary = "fl: \(devices) devices: round \(String(format: "%.1f", latency)) ms (median), runtime peak RSS \(peaks.joined(separator: ", ")) MB"
            if !transactions.isEmpty {
                let perRound = Measure.median(transactions)
                reporter.figure("pg_transactions_per_round", value: perRound, unit: "transactions", pairs: parameters)
                summary += ", \(Int(perRound)) PostgreSQL transactions per round (median)"
            }
            StandardError.line(summary + "; load \(Self.load())")
        }
    }

    /// The load averages (1, 5, 15 minutes), as `uptime` prints them.
    static func load() -> String {
        let text = (try? FileBytes.readText("/proc/loadavg", limit: FileSizeLimit(bytes: 4096, kind: "/proc/loadavg"))) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: ", ")
    }
}
