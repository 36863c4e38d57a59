import Certifier
import Channel
import OpenSSLKit
import TestSupport
import Testing

@Test func aRealAttestationSucceedsDuringAnIdleTLSFlood() throws {
    // The certifier's own bounds, with the places scaled down so that hundreds of connections fill them.
    var channel = CertifierService.channelConfiguration
    channel.maxConnections = 200
    channel.maxConnectionsPerAddress = 100
    // Only the limit may free a place: under load the 300 handshakes can take longer than the 5 s a
    // connection has for its first request, and the first ones, closed for idling, let more than 100 in.
    channel.firstRequestTimeout = .seconds(600)
    channel.unauthenticatedLifetime = .seconds(600)
    let certifier = try TestCertifier(channel: channel)
    defer { certifier.stop() }
    let flood = Flood()
    let context = try TLSContext(side: .client, trustedRoot: certifier.state.policyCertificate)
    let finished = flood.idleTLS(count: 300, port: certifier.server.port, context: context)
    #expect(finished <= 100)
    #expect(certifier.server.activeConnections <= 100)
    let start = ContinuousClock.now
    let (summary, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
    #expect(summary.role == .device)
    #expect(ContinuousClock.now - start < .seconds(5))
}

@Test func theCertifierRefusesAFrameFarLargerThanEvidenceFromItsHeader() throws {
    let certifier = try TestCertifier()
    defer { certifier.stop() }
    let flood = Flood()
    let context = try TLSContext(side: .client, trustedRoot: certifier.state.policyCertificate)
    #expect(flood.idleTLS(count: 1, port: certifier.server.port, context: context, source: "127.0.0.1") == 1)
    let tls = try #require(flood.tlsConnections.first)
    // 1 MiB announced, nothing of it sent: the 64 KiB limit refuses it at once.
    try tls.write([0, 0x10, 0, 0])
    let codec = FrameCodec()
    let answer = try ErrorMessage(try codec.decode(body: try tls.readExactly(try codec.bodyLength(header: try tls.readExactly(4)))))
    #expect(answer == ErrorMessage(.malformedFrame, "a frame of 1048576 bytes is over the limit of 65536 bytes"))
}
