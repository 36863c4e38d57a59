import Channel
import Glibc
import TestSupport
import Testing

@Test func listenerOnPortZeroGetsAPortFromTheOS() throws {
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    #expect(listener.port != 0)
    #expect(listener.address == "127.0.0.1:\(listener.port)")
    let client = try TCPConnector.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5))
    let accepted = try listener.accept()
    #expect(accepted.remoteAddress == "127.0.0.1:\(client.localPort)")
    #expect(client.remoteAddress == "127.0.0.1:\(listener.port)")
    listener.shutdown()
    #expect(throws: ChannelError.self) { try listener.accept() }
}

@Test func aConnectionLeavesFromTheSourceAddressAsked() throws {
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    defer { listener.shutdown() }
    let client = try TCPConnector.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5), from: "127.0.0.3")
    let accepted = try listener.accept()
    #expect(accepted.remoteAddress == "127.0.0.3:\(client.localPort)")
    let error = #expect(throws: ChannelError.self) {
        try TCPConnector.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5), from: "192.0.2.1")
    }
    #expect(error?.message.contains("binding to 192.0.2.1:0: ") == true)
}

@Test func connectingWhereNobodyListensSaysWhy() throws {
    let port = try TCPListener(host: "127.0.0.1", port: 0).port  // closed again at once
    let error = #expect(throws: ChannelError.self) {
        try TCPConnector.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
    }
    #expect(error?.kind == .transport)
    #expect(error?.message == "cannot connect to 127.0.0.1:\(port): 127.0.0.1:\(port): Connection refused")
}

@Test func listeningTwiceOnOnePortIsRefusedWithTheReason() throws {
    let first = try TCPListener(host: "127.0.0.1", port: 0)
    let error = #expect(throws: ChannelError.self) { try TCPListener(host: "127.0.0.1", port: first.port) }
    #expect(error?.message == "cannot listen on 127.0.0.1:\(first.port): bind failed: Address already in use")
}

@Test func openFileLimitIsRaisedForAServer() throws {
    let limit = OpenFileLimit.raiseToHardLimit()
    var system = rlimit()
    #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &system) == 0)
    #expect(limit == Int(clamping: system.rlim_max))
    #expect(limit == OpenFileLimit.current)
}

@Test func theTCPTableTellsAnOpenSocketFromAClosedOne() throws {
    // Tests wait on TCPTable for a server to close its end; it must not say so while the end is open.
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    let client = try TCPConnector.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5))
    do {
        let accepted = try listener.accept()
        withExtendedLifetime(accepted) {
            #expect(!TCPTable.isReleased(localPort: listener.port, remotePort: client.localPort))
        }
    }
    #expect(TCPTable.isReleased(localPort: listener.port, remotePort: client.localPort))
    #expect(!TCPTable.isReleased(localPort: client.localPort, remotePort: listener.port))
}
