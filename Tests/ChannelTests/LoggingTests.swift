import Channel
import Logging
import TestSupport
import Testing

@Test func serverLogsRequestsAndRefusalsWithDottedKeys() throws {
    let domain = try TestDomain()
    let records = LogRecords()
    let logger = records.logger(label: "runtime")
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: try domain.serverContext(),
        configuration: .init(name: "runtime", allowedPeerRoles: [.device]), logger: logger, handler: echo)
    try server.start()
    let device = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .device)),
        expectedRoles: [.runtime])
    _ = try device.request(ping(1))
    device.close()
    let provider = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .provider)),
        expectedRoles: [.runtime])
    #expect(throws: ChannelError.self) { try provider.request(ping(2)) }
    server.stop()

    let all = records.all
    #expect(all.contains { $0.message == "listening" && $0.metadata["listen.address"] == server.address })
    let request = try #require(all.first { $0.message == "request" })
    #expect(request.metadata["peer.role"] == "device")
    #expect(request.metadata["request.type"] == "ping")
    #expect(request.metadata["peer.measurement"] == String(repeating: "5e", count: 32))
    #expect(request.metadata["peer.address"]?.hasPrefix("127.0.0.1:") == true)
    let refusal = try #require(all.first { $0.message == "refused peer" })
    #expect(refusal.level == .warning)
    #expect(refusal.metadata["error.code"] == "not-authorized")
    #expect(refusal.metadata["error"] == "role \"provider\" may not connect to runtime (allowed: device)")
}
