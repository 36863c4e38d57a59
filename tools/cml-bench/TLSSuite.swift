import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy
import Synchronization

/// Channel connections on loopback, with certificates made for the run (a P-384 root issuing P-256
/// admission certificates, as the certifier does). Both ends run in this process on the same cores, so
/// the server alone would manage more.
///
/// - `connections_per_s`: full connections (TCP, mutual TLS 1.3 handshake with both chains checked,
///   one request and answer, clean close) with 1, 8 and 64 clients connecting over and over.
/// - `request_us`: one request and answer on an open connection.
/// - `burst_s`: 1,000 devices connecting at once until every one is verified, then answered.
struct TLSSuite: BenchSuite {
    let name = "tls"
    static let clientCounts = [1, 8, 64]
    static let burstDevices = 1000

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let bench = try LoopbackChannel()
        defer { bench.server.stop() }
        StandardError.line("tls: \(OpenSSLVersion.text), server on \(bench.server.address)")

        for clients in Self.clientCounts {
            let seconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
                try bench.concurrently(clients) { _ in
                    for _ in 0..<repeats { try bench.connectAndPing() }
                }
            }
            let rate = Double(clients) / seconds
            StandardError.line("tls: \(clients) clients: \(Int(rate)) connections/s")
            reporter.figure("connections_per_s", value: rate, unit: "connections/s", parameters: ["clients": clients])
        }

        let client = try bench.connect()
        let perRequest = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = try client.request(Message(type: "ping")) }
        }
        client.close()
        StandardError.line("tls: request and answer on an open connection: \(String(format: "%.1f", perRequest * 1e6)) us")
        reporter.figure("request_us", value: perRequest * 1e6, unit: "us")

        var bursts: [Double] = []
        for _ in 0..<max(1, settings.runs) {
            bursts.append(try bench.burst(Self.burstDevices))
        }
        let burst = Measure.median(bursts)
        StandardError.line("tls: \(Self.burstDevices) devices at once: all verified and answered in \(String(format: "%.2f", burst)) s")
        reporter.figure("burst_s", value: burst, unit: "s", parameters: ["devices": Self.burstDevices])
    }
}

/// A runtime-like server on an OS-picked loopback port that answers pings, and device contexts for it.
private struct LoopbackChannel {
    let server: ChannelServer
    let clientContext: TLSContext

    init() throws {
        let domain = try BenchDomain()
        clientContext = try domain.clientContext(.device)
        server = try ChannelServer(
            host: "127.0.0.1", port: 0, context: try domain.serverContext(.runtime),
            // One device certificate stands in for the burst's 1,000 devices.
            configuration: .init(name: "runtime", allowedPeerRoles: [.device], maxConnectionsPerCertificate: TLSSuite.burstDevices),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }),
            handler: ChannelServer.answering { _, request in Message(type: "pong", fields: request.fields) })
        try server.start()
    }

    func connect() throws -> ChannelClient {
        try ChannelClient.connect(
            host: "127.0.0.1", port: server.port, context: clientContext, expectedRoles: [.runtime],
            configuration: .init(connectTimeout: .seconds(60)))
    }

    func connectAndPing() throws {
        let client = try connect()
        _ = try client.request(Message(type: "ping"))
        client.close()
    }

    /// Runs `work(index)` on `count` threads at once and rethrows the first failure.
    func concurrently(_ count: Int, _ work: @escaping @Sendable (Int) throws -> Void) throws {
        try runConcurrently(count, label: "tls", work)
    }

    /// Seconds until `devices` clients, started at once, are all connected and verified; then each sends
    /// one request, and every one must be answered.
    func burst(_ devices: Int) throws -> Double {
        let connected = DispatchGroup()
        for _ in 0..<devices { connected.enter() }
        let go = DispatchSemaphore(value: 0)
        let start = ContinuousClock.now
        let elapsed = Mutex(Duration.zero)
        let waiter = Thread {
            connected.wait()
            elapsed.withLock { $0 = ContinuousClock.now - start }
            for _ in 0..<devices { go.signal() }
        }
        waiter.start()
        try concurrently(devices) { _ in
            let client: ChannelClient
            do {
                client = try connect()
            } catch {
                connected.leave()
                go.wait()
                throw error
            }
            connected.leave()
            go.wait()
            _ = try client.request(Message(type: "ping"))
            client.close()
        }
        let duration = elapsed.withLock { $0 }
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
