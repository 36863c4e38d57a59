import ByteKit
import Channel
import CommandSupport
import Foundation
import Logging
import OpenSSLKit
import Policy

/// What idle connections cost the event-loop server, and what a flood of them does to a real client,
/// on loopback in this process (docs/server.md). The flood's client side keeps only its sockets (its TLS
/// state is freed once the handshake is done), so the growth of this process's memory is the server's.
///
/// - `rss_per_idle_tcp_kib`, `rss_per_idle_tls_kib`: resident memory per idle connection (plain TCP that
///   never starts TLS; mutual TLS with the handshake done), over `floodSize` connections.
/// - `request_latency_ms` p50 and p99: a new connection, one request and answer, without and with the flood.
/// - `partial_frames_held`, `rss_per_partial_frame_kib` and the latency again: `partialFrames` connections
///   that each announce the largest frame (1 MiB) and send all of it but the last byte; the server's
///   partial-frame budget (64 MiB) closes the connections holding the most, so what it keeps stays bounded.
struct FloodSuite: BenchSuite {
    let name = "flood"
    static let floodSize = 2000
    static let samples = 200
    static let partialFrames = 1000

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let domain = try BenchDomain()
        let clientContext = try domain.clientContext(.device)
        let server = try ChannelServer(
            host: "127.0.0.1", port: 0, context: try domain.serverContext(.runtime),
            configuration: .init(
                name: "runtime", allowedPeerRoles: [.device], handshakeTimeout: .seconds(600), readTimeout: .seconds(600),
                maxConnections: 3 * Self.floodSize, maxHandshakes: 3 * Self.floodSize, maxConnectionsPerAddress: 3 * Self.floodSize,
                maxConnectionsPerCertificate: 3 * Self.floodSize),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }),
            handler: ChannelServer.answering { _, request in Message(type: "pong", fields: request.fields) })
        try server.start()
        defer { server.stop() }

        let quiet = try latencies(server, clientContext)
        report(quiet, flood: 0, reporter)

        let beforeTCP = try residentBytes()
        let tcp = try (0..<Self.floodSize).map { _ in try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10)) }
        try waitFor { server.activeConnections >= Self.floodSize }
        let perTCP = Double(try residentBytes() - beforeTCP) / Double(Self.floodSize) / 1024
        StandardError.line("flood: \(Self.floodSize) idle TCP connections: \(String(format: "%.1f", perTCP)) KiB each")
        reporter.figure("rss_per_idle_tcp_kib", value: perTCP, unit: "KiB", parameters: ["connections": Self.floodSize])
        withExtendedLifetime(tcp) {}
        drop(tcp)
        try waitFor { server.activeConnections == 0 }

        let beforeTLS = try residentBytes()
        var tls: [Socket] = []
        for _ in 0..<Self.floodSize {
            let socket = try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10))
            try socket.setTimeouts(receive: .seconds(30), send: .seconds(30))
            // The client's TLS state goes at the end of this iteration; the server's stays.
            try TLSConnection(context: clientContext, fileDescriptor: socket.fileDescriptor).handshake()
            tls.append(socket)
        }
        try waitFor { server.activeConnections >= Self.floodSize }
        let perTLS = Double(try residentBytes() - beforeTLS) / Double(Self.floodSize) / 1024
        StandardError.line("flood: \(Self.floodSize) idle TLS connections: \(String(format: "%.1f", perTLS)) KiB each")
        reporter.figure("rss_per_idle_tls_kib", value: perTLS, unit: "KiB", parameters: ["connections": Self.floodSize])

        let flooded = try latencies(server, clientContext)
        report(flooded, flood: Self.floodSize, reporter)
        try partialFrameFlood(server, clientContext, reporter)
        withExtendedLifetime(tls) {}
    }

    /// Connections that each send all of a largest frame but its last byte, on top of the idle flood.
    private func partialFrameFlood(_ server: ChannelServer, _ context: TLSContext, _ reporter: JSONLinesReporter) throws {
        let size = FrameCodec.defaultMaxFrameSize
        let frame = withUnsafeBytes(of: UInt32(size).bigEndian, Array.init) + [UInt8](repeating: 0xA5, count: size - 1)
        let before = try residentBytes()
        let idle = server.activeConnections
        var sockets: [Socket] = []
        var refused = 0
        for _ in 0..<Self.partialFrames {
            let socket = try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10))
            try socket.setTimeouts(receive: .seconds(30), send: .seconds(30))
            do {
                let tls = try TLSConnection(context: context, fileDescriptor: socket.fileDescriptor)
                try tls.handshake()
                try tls.write(frame)
            } catch {
                // The budget closed it while it sent: what the server does once it holds 64 MiB.
                refused += 1
            }
            sockets.append(socket)
        }
        let held = server.activeConnections - idle
        let grown = Double(try residentBytes() - before) / 1024
        StandardError.line(
            "flood: \(Self.partialFrames) nearly complete 1 MiB frames: \(held) connections kept, \(refused) closed while sending; "
                + "memory grew \(String(format: "%.0f", grown / 1024)) MiB")
        reporter.figure("partial_frames_held", value: Double(held), unit: "connections", parameters: ["sent": Self.partialFrames])
        reporter.figure("rss_growth_partial_frames_mib", value: grown / 1024, unit: "MiB", parameters: ["sent": Self.partialFrames])
        let during = try latencies(server, context)
        report(during, flood: Self.floodSize, partialFrames: Self.partialFrames, reporter)
        drop(sockets)
    }

    private func drop(_ sockets: [Socket]) {
        for socket in sockets { socket.shutdown() }
    }

    /// Seconds of each of `samples` connect-request-close exchanges, sorted.
    private func latencies(_ server: ChannelServer, _ context: TLSContext) throws -> [Double] {
        try (0..<Self.samples).map { _ in
            let start = ContinuousClock.now
            let client = try ChannelClient.connect(
                host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime],
                configuration: .init(connectTimeout: .seconds(30)))
            _ = try client.request(Message(type: "ping"))
            client.close()
            return (ContinuousClock.now - start).inSeconds
        }.sorted()
    }

    private func report(_ sorted: [Double], flood: Int, partialFrames: Int = 0, _ reporter: JSONLinesReporter) {
        let p50 = sorted[sorted.count / 2] * 1e3
        let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1e3
        let frames = partialFrames > 0 ? " and \(partialFrames) partial frames" : ""
        StandardError.line(
            "flood: with \(flood) idle TLS connections\(frames): request latency p50 \(String(format: "%.2f", p50)) ms, p99 \(String(format: "%.2f", p99)) ms")
        let parameters: KeyValuePairs<String, Int> =
            partialFrames > 0 ? ["idle_connections": flood, "partial_frames": partialFrames] : ["idle_connections": flood]
        reporter.figure("request_latency_p50_ms", value: p50, unit: "ms", parameters: parameters)
        reporter.figure("request_latency_p99_ms", value: p99, unit: "ms", parameters: parameters)
    }

    /// This process's resident memory, from /proc/self/statm.
    private func residentBytes() throws -> Int {
        let text = try FileBytes.readText("/proc/self/statm", limit: FileSizeLimit(bytes: 4096, kind: "a /proc statm file"))
        guard let pages = Int(text.split(separator: " ").dropFirst().first ?? "") else { throw CommandFailure("flood: cannot read /proc/self/statm") }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private func waitFor(_ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CommandFailure("flood: the server did not take the connections within 60 s") }
            usleep(10_000)
        }
    }
}
