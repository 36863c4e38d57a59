import Channel
import Protocol
import TestSupport
import Testing

/// A request/answer pair in the style roles define theirs.
private struct Ping: TypedMessage {
    static let type = "ping"
    let n: UInt64

    init(n: UInt64) {
        self.n = n
    }

    init(fields message: Message) throws(ChannelError) {
        n = try message.unsigned("n")
    }

    var frame: Message { Message(type: Self.type, fields: ["n": .unsigned(n)]) }
}

private struct Pong: TypedMessage {
    static let type = "pong"
    let n: UInt64
    let role: String

    init(n: UInt64, role: String) {
        self.n = n
        self.role = role
    }

    init(fields message: Message) throws(ChannelError) {
        n = try message.unsigned("n")
        role = try message.text("role")
    }

    var frame: Message { Message(type: Self.type, fields: ["n": .unsigned(n), "role": .text(role)]) }
}

@Test func typedMessagesConvertAndCheckTheirType() throws {
    let ping = try Ping(n: 4).frame.decode(as: Ping.self)
    #expect(ping.n == 4)
    let wrongType = #expect(throws: ChannelError.self) { try Ping(n: 4).frame.decode(as: Pong.self) }
    #expect(wrongType?.description == "unknown-type: expected \"pong\", got \"ping\"")
    let badField = #expect(throws: ChannelError.self) { try Message(type: "ping", fields: ["n": "four"]).decode(as: Ping.self) }
    #expect(badField?.description == "bad-request: \"n\" must be an unsigned integer, not a text string")
    let error = try ErrorMessage(.wrongRound, "round 3 is over").frame.decode(as: ErrorMessage.self)
    #expect(error == ErrorMessage(.wrongRound, "round 3 is over"))
}

@Test func clientRequestsTypedAnswers() throws {
    let domain = try TestDomain()
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: try domain.serverContext(), logger: LogRecords().logger(),
        handler: ChannelServer.answering { peer, request in
            Pong(n: try request.decode(as: Ping.self).n, role: peer?.role.rawValue ?? "").frame
        })
    try server.start()
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .provider)),
        expectedRoles: [.runtime])
    let pong = try client.request(Ping(n: 9), expecting: Pong.self)
    #expect(pong.n == 9 && pong.role == "provider")
    let wrong = #expect(throws: ChannelError.self) { try client.request(Ping(n: 1), expecting: Ping.self) }
    #expect(wrong?.code == .unknownType)
}
