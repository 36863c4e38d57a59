import Channel
import OpenSSLKit
import TestSupport

/// A server on an OS-picked loopback port, started, and stopped by `stop()`.
func startServer(
    context: TLSContext, configuration: ChannelServer.Configuration = .init(name: "runtime"),
    handler: @escaping ChannelServer.Handler = echo
) throws -> ChannelServer {
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: context, configuration: configuration, logger: quietLogger, handler: handler)
    try server.start()
    return server
}

/// Answers `{"type": "ping", "n": n}` with `{"type": "pong", "n": n, "role": peer role}`.
let echo: ChannelServer.Handler = ChannelServer.answering { peer, request in
    guard request.type == "ping" else { throw ChannelError(.unknownType, "\"\(request.type)\" is not served here") }
    return Message(type: "pong", fields: ["n": .unsigned(try request.unsigned("n")), "role": .text(peer?.role.rawValue ?? "")])
}

func ping(_ n: UInt64) -> Message {
    Message(type: "ping", fields: ["n": .unsigned(n)])
}
