import Channel
import Foundation
import Glibc
import OpenSSLKit
import Policy
import TestSupport
import Testing

// The attacks that took the thread-per-connection server offline, scaled down through configuration
// to run in seconds: each floods from 127.0.0.2 while a real client at 127.0.0.1 is served.

/// How long a real client's ping takes on `server`.
private func timedPing(_ server: ChannelServer, context: TLSContext, expectedRoles: Set<Role> = [.runtime]) throws -> Duration {
    let start = ContinuousClock.now
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: context, expectedRoles: expectedRoles,
        configuration: .init(connectTimeout: .seconds(30)))
    #expect(try client.request(ping(7)).unsigned("n") == 7)
    return ContinuousClock.now - start
}

@Test func anIdleTLSFloodWithoutCertificatesLeavesRoomForARealClient() throws {
    let domain = try TestDomain()
    let records = LogRecords()
    // Like the certifier: no client certificates, so every connection counts against its address.
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: try domain.serverContext(mutual: false),
        configuration: .init(name: "runtime", firstRequestTimeout: .seconds(60), maxConnections: 250, maxConnectionsPerAddress: 100),
        logger: records.logger(), handler: echo)
    try server.start()
    defer { server.stop() }
    let flood = Flood()
    let finished = flood.idleTLS(count: 300, port: server.port, context: try domain.clientContext(identity: nil))
    // The address's 100 places hold; the other 200 are closed at once (their handshake never finishes).
    #expect(finished <= 100)
    #expect(server.activeConnections <= 100)
    let latency = try timedPing(server, context: try domain.clientContext(identity: nil))
    #expect(latency < .seconds(5))
    // One log line for the address, not one per refused connection.
    #expect(records.all.filter { $0.message.hasPrefix("connection refused: too many connections from this address") }.count == 1)
}

@Test func plainTCPThatNeverStartsTLSDoesNotDelayARealHandshake() throws {
    let domain = try TestDomain()
    // A long handshake timeout: with a fixed pool of handshake places, the real client would wait it out.
    let server = try startServer(
        context: try domain.serverContext(), configuration: .init(name: "runtime", handshakeTimeout: .seconds(60), maxHandshakes: 50))
    defer { server.stop() }
    let flood = Flood()
    #expect(flood.plainTCP(count: 200, port: server.port) == 200)
    #expect(eventually { server.activeConnections == 50 })
    let latency = try timedPing(server, context: try domain.clientContext(identity: try domain.identity(role: .device)))
    #expect(latency < .seconds(5), "\(latency)")
}

@Test func nearlyCompleteFramesStayWithinTheBudget() throws {
    let domain = try TestDomain()
    let budget = 1 << 20
    let frame = 256 << 10
    let server = try startServer(
        context: try domain.serverContext(),
        configuration: .init(name: "runtime", maxFrameSize: frame, maxConnectionsPerCertificate: 100, frameBufferBudget: budget))
    defer { server.stop() }
    let flood = Flood()
    let device = try domain.clientContext(identity: try domain.identity(role: .device))
    #expect(flood.idleTLS(count: 12, port: server.port, context: device) == 12)
    // Each announces a 256 KiB frame and sends all of it but one byte: 3 MiB in all against a 1 MiB budget.
    let length = UInt32(frame)
    let header: [UInt8] = [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
    flood.send(header)
    flood.send([UInt8](repeating: 0xa0, count: frame - 1))
    // The connections holding the most were closed until the rest fit: about four 256 KiB frames.
    #expect(eventually { server.activeConnections <= 4 })
    #expect(server.heldFrameBytes <= budget)
    #expect(server.heldFrameBytes > 0)
    #expect(try timedPing(server, context: device) < .seconds(5))
}

@Test func oneAdmittedDeviceCannotHoldEveryPlace() throws {
    let domain = try TestDomain()
    let records = LogRecords()
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: try domain.serverContext(),
        configuration: .init(name: "runtime", maxConnectionsPerCertificate: 8), logger: records.logger(), handler: echo)
    try server.start()
    defer { server.stop() }
    let flood = Flood()
    let greedy = try domain.clientContext(identity: try domain.identity(role: .device))
    // The handshakes all finish; the certificate check comes after, as an error frame.
    #expect(flood.idleTLS(count: 200, port: server.port, context: greedy) == 200)
    #expect(eventually { server.activeConnections == 8 })
    // The last one is among the refused: it reads why.
    let last = try #require(flood.tlsConnections.last)
    let codec = FrameCodec()
    let body = try last.readExactly(try codec.bodyLength(header: try last.readExactly(FrameCodec.headerSize)))
    let refusal = try ErrorMessage(try codec.decode(body: body))
    #expect(refusal.code == .notAuthorized)
    #expect(refusal.message.hasSuffix("already has 8 connections open, the most per certificate"), "\(refusal)")
    // Another device is served.
    #expect(try timedPing(server, context: try domain.clientContext(identity: try domain.identity(role: .device))) < .seconds(5))
    #expect(records.all.filter { $0.message.hasPrefix("connection refused: the certificate") }.count == 1)
}
