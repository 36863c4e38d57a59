import Attestation
import ByteKit
import Certifier
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Protocol
import Synchronization

/// The issue's flood at full size against real `cml-certifier serve` and `cml-runtime serve` processes
/// (built beside this bench, with state it makes itself), from attacking processes of its own
/// (`FloodAttacker`) on loopback, each from its own source address (127.0.0.2 and up).
///
/// For each server in turn, and for two settings of the server's limits (`defaults`: every limit as
/// shipped; `raised`: the policy's limits per address, certificate and platform at 1,000,000 and the total caps
/// at 19,000, so that the server holds as many as its 20,000 descriptors allow): 50,000 idle plain-TCP
/// connections (three processes), then 5,000 idle TLS connections (five processes; the runtime's with
/// admitted devices' certificates, one per process, on a platform of the attacker's: it serves no other), then 1,000 connections that each send all of a 1 MiB frame but its
/// last byte. Meanwhile, from 127.0.0.1, the legitimate request: a whole attestation (nonce, evidence,
/// certificate) at the certifier, a new connection and a `get-model` at the runtime.
///
/// Figures, with parameters `server` (0 certifier, 1 runtime) and `raised` (0, 1):
/// - `legit_latency_p50_ms`, `legit_latency_p99_ms` with `phase` 0 before, 1 during, 2 after the flood;
///   `legit_failures` during it.
/// - `held_descriptors` for each stage (`stage` 1 TCP, 2 TLS, 3 frames): the most descriptors the server
///   held while the attackers opened theirs (sampled every 250 ms).
/// - `rss_per_held_connection_kib` for stages 1 and 2: growth of VmRSS to that moment over growth of descriptors.
/// - `server_rss_mb` (VmRSS during the whole flood) and `server_peak_rss_mb` (VmHWM at its end).
struct FloodSuite: BenchSuite {
    let name = "flood"
    static let tcpConnections = 50_000
    static let tcpProcesses = 3
    static let tlsConnections = 5_000
    static let tlsProcesses = 5
    static let partialFrames = 1_000
    static let frameProcesses = 2
    static let samples = 100
    /// The raised total caps: under the servers' hard limit of 20,000 open files, with room for their files.
    static let raisedCap = 19_000

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        _ = OpenFileLimit.raiseToHardLimit()
        let folder = Bundle.main.executableURL?.deletingLastPathComponent().path ?? "."
        for raised in [false, true] {
            let domain = try FloodDomain(binaries: folder, raised: raised)
            defer { domain.stop() }
            StandardError.line(
                "flood: \(raised ? "raised" : "default") limits: certifier pid \(domain.certifier.pid), runtime pid \(domain.runtime.pid)")
            try measure(domain.certifier, server: 0, raised: raised, domain: domain, reporter) { try domain.attest() }
            try measure(domain.runtime, server: 1, raised: raised, domain: domain, reporter) { try domain.getModel() }
        }
    }

    private func measure(
        _ server: ServerProcess, server index: Int, raised: Bool, domain: FloodDomain, _ reporter: JSONLinesReporter,
        legit: () throws -> Void
    ) throws {
        let label = "\(index == 0 ? "certifier" : "runtime") (\(raised ? "raised" : "default") limits)"
        let parameters = { (extra: KeyValuePairs<String, Int>) -> [(String, Int)] in [("server", index), ("raised", raised ? 1 : 0)] + extra.map { ($0.key, $0.value) } }
        let before = latencies(legit)
        report(before, label: "\(label), before the flood", phase: 0, parameters, reporter)

        var attackers: [AttackerProcess] = []
        defer { for attacker in attackers { attacker.stop() } }
        var rss = try server.memoryMegabytes("VmRSS")
        var descriptors = server.openDescriptors()
        // Each process opens its share, one connection after another; the TLS ones wait for each handshake,
        // so more processes share them. Reopening what the server closes is rate-limited (per process), so
        // that what is measured is the places held, not how fast loopback churns connections.
        let stages: [(stage: Int, kind: String, processes: Int, count: Int, reconnects: Int)] = [
            (1, "tcp", Self.tcpProcesses, Self.tcpConnections / Self.tcpProcesses, 100),
            (2, "tls", Self.tlsProcesses, Self.tlsConnections / Self.tlsProcesses, 20),
            (3, "frame", Self.frameProcesses, Self.partialFrames / Self.frameProcesses, 0),
        ]
        var source = 2
        for stage in stages {
            var started: [AttackerProcess] = []
            for _ in 0..<stage.processes {
                started.append(
                    try AttackerProcess(
                        arguments: domain.attackerArguments(kind: stage.kind, port: server.port, count: stage.count, source: "127.0.0.\(source)", runtime: index == 1)
                            + ["--reconnects", "\(stage.reconnects)"]))
                source += 1
            }
            attackers += started
            let (opened, peak) = try awaitReady(started, sampling: server)
            let nowDescriptors = server.openDescriptors()
            let perConnection = peak.descriptors > descriptors ? (peak.rss - rss) * 1024 / Double(peak.descriptors - descriptors) : 0
            StandardError.line(
                "flood: \(label): \(stage.kind) x \(stage.count * stage.processes): attackers opened \(opened.opened) (\(opened.failed) failed); "
                    + "server held at most \(peak.descriptors) descriptors (VmRSS then \(String(format: "%.1f", peak.rss)) MB), \(nowDescriptors) now"
                    + (stage.stage < 3 ? ", \(String(format: "%.1f", perConnection)) KiB per added descriptor" : ""))
            reporter.figure("held_descriptors", value: Double(peak.descriptors), unit: "descriptors", pairs: parameters(["stage": stage.stage]))
            if stage.stage < 3 {
                reporter.figure("rss_per_held_connection_kib", value: perConnection, unit: "KiB", pairs: parameters(["stage": stage.stage]))
            }
            rss = try server.memoryMegabytes("VmRSS")
            descriptors = nowDescriptors
        }
        let during = latencies(legit)
        report(during, label: "\(label), during the flood", phase: 1, parameters, reporter)
        let duringRSS = try server.memoryMegabytes("VmRSS")
        for attacker in attackers { attacker.stop() }
        attackers = []
        let peak = try server.memoryMegabytes("VmHWM")
        StandardError.line("flood: \(label): VmRSS during the flood \(String(format: "%.1f", duringRSS)) MB, peak (VmHWM) \(String(format: "%.1f", peak)) MB")
        reporter.figure("server_rss_mb", value: duringRSS, unit: "MB", pairs: parameters([:]))
        reporter.figure("server_peak_rss_mb", value: peak, unit: "MB", pairs: parameters([:]))
        let after = latencies(legit)
        report(after, label: "\(label), after the flood", phase: 2, parameters, reporter)
    }

    /// Waits for each attacker's `ready`, sampling the server every 250 ms meanwhile (it closes connections
    /// at their deadlines, so what it held at the end of the opening is less than at its most): the
    /// attackers' totals, and the most descriptors the server held with its VmRSS at that moment.
    private func awaitReady(
        _ attackers: [AttackerProcess], sampling server: ServerProcess
    ) throws -> (opened: (opened: Int, failed: Int), peak: (descriptors: Int, rss: Double)) {
        let results = Mutex<[Result<(opened: Int, failed: Int), any Error>]>([])
        let group = DispatchGroup()
        for attacker in attackers {
            DispatchQueue.global().async(group: group) {
                let result = Result { try attacker.awaitReady() }
                results.withLock { $0.append(result) }
            }
        }
        var peak = (descriptors: 0, rss: 0.0)
        repeat {
            let descriptors = server.openDescriptors()
            if descriptors > peak.descriptors { peak = (descriptors, try server.memoryMegabytes("VmRSS")) }
        } while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut
        let opened = try results.withLock { $0 }.map { try $0.get() }
        return ((opened.map(\.opened).reduce(0, +), opened.map(\.failed).reduce(0, +)), peak)
    }

    /// Seconds of each of `samples` legitimate requests that succeeded (sorted), and how many failed;
    /// at most 60 s in all.
    private func latencies(_ legit: () throws -> Void) -> (seconds: [Double], failures: Int, lastError: String?) {
        var seconds: [Double] = []
        var failures = 0
        var lastError: String?
        let deadline = ContinuousClock.now + .seconds(60)
        for _ in 0..<Self.samples where ContinuousClock.now < deadline {
            let start = ContinuousClock.now
            do {
                try legit()
                seconds.append((ContinuousClock.now - start).inSeconds)
            } catch {
                failures += 1
                lastError = "\(error)"
            }
        }
        return (seconds.sorted(), failures, lastError)
    }

    private func report(
        _ run: (seconds: [Double], failures: Int, lastError: String?), label: String, phase: Int,
        _ parameters: (KeyValuePairs<String, Int>) -> [(String, Int)], _ reporter: JSONLinesReporter
    ) {
        let sorted = run.seconds
        let p50 = sorted.isEmpty ? 0 : sorted[sorted.count / 2] * 1e3
        let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1e3
        StandardError.line(
            "flood: \(label): legitimate requests p50 \(String(format: "%.2f", p50)) ms, p99 \(String(format: "%.2f", p99)) ms, "
                + "\(sorted.count) served, \(run.failures) failed" + (run.lastError.map { " (last: \($0))" } ?? ""))
        reporter.figure("legit_latency_p50_ms", value: p50, unit: "ms", pairs: parameters(["phase": phase]))
        reporter.figure("legit_latency_p99_ms", value: p99, unit: "ms", pairs: parameters(["phase": phase]))
        reporter.figure("legit_failures", value: Double(run.failures), unit: "requests", pairs: parameters(["phase": phase]))
    }
}
