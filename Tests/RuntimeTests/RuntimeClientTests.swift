import CBORKit
import Channel
import Foundation
import OpenSSLKit
import Protocol
import Runtime
import TestSupport
import Testing

/// The client's own checks: the ids of models it receives, the acknowledgement, reconnecting.
@Suite struct RuntimeClientTests {
    /// A runtime impostor of the same domain that answers every request with `answer`.
    func fake(_ domain: TestDomain, answer: Message) throws -> ChannelServer {
        let server = try ChannelServer(
            host: "127.0.0.1", port: 0, context: try domain.serverContext(role: .runtime), logger: quietLogger,
            handler: ChannelServer.answering { _, _ in answer })
        try server.start()
        return server
    }

    @Test func aModelWhoseIdDoesNotMatchIsRefused() throws {
        let domain = try TestDomain()
        let server = try fake(domain, answer: Message(type: ModelReply.type, fields: ["model": .bytes(initialModel.bytes), "id": .text(String(repeating: "0", count: 64)), "round": 0]))
        defer { server.stop() }
        let client = RuntimeClient(host: "127.0.0.1", port: server.port, context: try domain.clientContext(role: .device))
        let error = #expect(throws: ChannelError.self) { try client.getModel() }
        #expect(error?.message == "the runtime sent a model labelled 00000000 whose SHA-256 is \(initialModel.shortID)")
    }

    @Test func anAcknowledgementOfAnotherModelIsAnError() throws {
        let domain = try TestDomain()
        let server = try fake(domain, answer: ModelAck(id: String(repeating: "a", count: 64), size: 12).frame)
        defer { server.stop() }
        let client = RuntimeClient(host: "127.0.0.1", port: server.port, context: try domain.clientContext(role: .provider))
        var sent = false
        let error = #expect(throws: ChannelError.self) { try client.putModel(initialModel) { _ in sent = true } }
        #expect(sent)
        #expect(
            error?.message
                == "the runtime acknowledged model aaaaaaaa (12 bytes), not the one sent, \(initialModel.shortID) (\(initialModel.size) bytes)")
    }

    @Test func itConnectsAgainAfterTheRuntimeClosedAnIdleConnection() throws {
        var channel = ChannelServer.Configuration()
        channel.readTimeout = .milliseconds(300)
        let runtime = try RuntimeFixture(configuration: .init(channel: channel))
        defer { runtime.cleanUp() }
        let client = try runtime.client(role: .provider)
        _ = try client.putModel(initialModel)
        // The runtime closes the idle connection (with a timeout error frame) before the next request.
        #expect(eventually { runtime.server.activeConnections == 0 })
        #expect(try client.getModel().blob.id == initialModel.id)
    }
}
