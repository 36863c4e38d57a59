import ByteKit
import CBORKit
import Channel
import Foundation
import Glibc
import OpenSSLKit
import Policy
import Synchronization
import TestSupport
import Testing

/// A connection that skips ChannelClient's checks, to send the server whatever a test needs.
private func rawConnection(to server: ChannelServer, domain: TestDomain, identity: TLSIdentity?) throws -> FramedConnection {
    let socket = try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10))
    try socket.setTimeouts(receive: .seconds(20), send: .seconds(20))
    let tls = try TLSConnection(context: try domain.clientContext(identity: identity), fileDescriptor: socket.fileDescriptor)
    try tls.handshake()
    return FramedConnection(socket: socket, tls: tls)
}

/// What a client with `identity` hears when it sends a ping to a server that trusts `domain`.
private func refusal(of identity: TLSIdentity?, domain: TestDomain, allowed: Set<Role>? = nil) throws -> ChannelError? {
    let server = try startServer(
        context: try domain.serverContext(), configuration: .init(name: "runtime", allowedPeerRoles: allowed))
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: identity), expectedRoles: [.runtime])
    return #expect(throws: ChannelError.self) { try client.request(ping(1)) }
}

@Test func mutualTLSRoundTripsSeveralRequestsOnOneConnection() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext(), configuration: .init(name: "runtime", allowedPeerRoles: [.device]))
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .device)),
        expectedRoles: [.runtime])
    #expect(client.server.role == .runtime)
    #expect(client.server.measurement == [UInt8](repeating: 0x5e, count: 32))
    for n: UInt64 in 1...3 {
        let answer = try client.request(ping(n))
        #expect(answer.type == "pong")
        #expect(try answer.unsigned("n") == n)
        #expect(try answer.text("role") == "device")
    }
    client.close()
}

@Test func clientWithoutCertificateReadsTheRefusal() throws {
    let domain = try TestDomain()
    let error = try refusal(of: nil, domain: domain)
    #expect(error?.kind == .remote)
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: no client certificate (this server admits only peers with an admission certificate)")
}

@Test func refusedClientReadsTheReasonEvenAfterTheServerHasGone() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext())
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: nil), expectedRoles: [.runtime])
    // Once the server has given up lingering after its error frame, its socket is gone, and a write
    // would only earn a reset.
    #expect(eventually { server.activeConnections == 0 })
    let clientPort = client.connection.socket.localPort
    #expect(
        eventually { TCPTable.isReleased(localPort: server.port, remotePort: clientPort) },
        "the server's socket to port \(clientPort) was still open after 30 s")
    let error = #expect(throws: ChannelError.self) { try client.request(ping(1)) }
    #expect(error?.kind == .remote)
    #expect(error?.message.hasPrefix("runtime refused the connection: no client certificate") == true, "\(String(describing: error))")
}

@Test func selfSignedClientIsRefused() throws {
    let error = try refusal(of: try TestDomain.selfSigned(role: .device, commonName: "cml-device"), domain: try TestDomain())
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: your certificate is not issued by this domain's policy key (self-signed \"cml-device\")")
}

@Test func expiredClientIsRefused() throws {
    let domain = try TestDomain()
    let expired = try domain.identity(role: .device, notBefore: Date() - 7200, notAfter: Date() - 3600)
    let error = try refusal(of: expired, domain: domain)
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: your certificate expired on \(UTCTimeText.format(expired.certificate.notAfter))")
}

@Test func clientWhoseCertificateALeafSignedIsRefused() throws {
    // An admitted provider signs itself a device certificate with its admission's key and sends the chain.
    let domain = try TestDomain()
    let forged = try TestDomain.forged(role: .device, under: try domain.identity(role: .provider))
    let error = try refusal(of: forged, domain: domain)
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: your certificate is issued by \"provider\", which is used as a CA but is not one")
}

@Test func clientWhoseIssuingCertificateAnotherDomainSignedIsRefused() throws {
    // Another domain's issuing certificate under the same names: the chain does not reach this policy key.
    let domain = try TestDomain()
    let other = try TestDomain()
    let error = try refusal(of: try other.identity(role: .device), domain: domain)
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: your certificate is issued by \"cml-issuer\", which is not issued by this domain's policy key (\"cml-issuer\" is issued by another key named \"cml-policy\")")
}

@Test func anAdmissionThePolicyKeySignedDirectlyIsStillTrusted() throws {
    // Certifiers before issuing keys signed admissions with the policy key: trusted until they expire.
    let domain = try TestDomain()
    let key = ECPrivateKey(generating: .p256)
    let direct = try AdmissionCertificate.issue(
        role: .device, measurement: nil, subjectKey: key.publicKey, notBefore: Date() - 60, notAfter: Date() + 3600,
        issuerKey: domain.rootKey, issuerCertificate: domain.root)
    let server = try startServer(context: try domain.serverContext(), configuration: .init(name: "runtime", allowedPeerRoles: [.device]))
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: TLSIdentity(certificate: direct, privateKey: key)),
        expectedRoles: [.runtime])
    #expect(try client.request(ping(1)).text("role") == "device")
}

@Test func clientInARoleThatMayNotConnectIsRefused() throws {
    let domain = try TestDomain()
    let error = try refusal(of: try domain.identity(role: .device), domain: domain, allowed: [.provider])
    #expect(error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the connection: role \"device\" may not connect to runtime (allowed: provider)")
}

@Test func clientWithoutARoleIsRefused() throws {
    let domain = try TestDomain()
    let key = ECPrivateKey(generating: .p256)
    let bare = try CertificateBuilder(subjectCommonName: "device", subjectPublicKey: key.publicKey, notAfter: Date() + 60)
        .issued(by: domain.root, issuerKey: domain.rootKey)
    let error = try refusal(of: TLSIdentity(certificate: bare, privateKey: key), domain: domain)
    #expect(error?.message == "runtime refused the connection: your certificate names no role (no cml:role:<role> URI)")
}

@Test func clientRefusesAServerOfAnotherDomain() throws {
    let domain = try TestDomain()
    let other = try TestDomain(name: "other-domain")
    let served = Mutex(0)
    let server = try startServer(context: try other.serverContext()) { _, _, _ in served.withLock { $0 += 1 } }
    defer { server.stop() }
    let error = #expect(throws: ChannelError.self) {
        try ChannelClient.connect(
            host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .device)),
            expectedRoles: [.runtime])
    }
    #expect(error?.kind == .refused)
    #expect(error?.description == "refused runtime at 127.0.0.1:\(server.port): its certificate is issued by \"cml-issuer\", which is not issued by this domain's policy key (\"cml-issuer\" is issued by \"other-domain\")")
    #expect(served.withLock { $0 } == 0)
}

@Test func clientRefusesAServerInAnotherRole() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext(role: .device))
    defer { server.stop() }
    let error = #expect(throws: ChannelError.self) {
        try ChannelClient.connect(
            host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .provider)),
            expectedRoles: [.runtime])
    }
    #expect(error?.description == "refused runtime at 127.0.0.1:\(server.port): its certificate names the role \"device\", expected runtime")
}

@Test func serverAuthOnlyServesClientsWithoutCertificates() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext(role: .certifier, mutual: false))
    defer { server.stop() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: nil), expectedRoles: [.certifier])
    let answer = try client.request(ping(7))
    #expect(try answer.unsigned("n") == 7)
    #expect(try answer.text("role") == "")
}

@Test func frameOverTheLimitIsRefusedWithoutReadingIt() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext(), configuration: .init(name: "runtime", maxFrameSize: 1000))
    defer { server.stop() }
    let connection = try rawConnection(to: server, domain: domain, identity: try domain.identity(role: .device))
    // Only the header: the server must answer without waiting for the 1001 bytes it announces.
    try connection.tls.write([0, 0, 0x03, 0xe9])
    let answer = try ErrorMessage(try connection.receive())
    #expect(answer == ErrorMessage(.malformedFrame, "a frame of 1001 bytes is over the limit of 1000 bytes"))
    #expect(try connection.receiveIfAny() == nil)
}

@Test func malformedFrameIsAnsweredAndTheServerServesTheNextClient() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext())
    defer { server.stop() }
    let device = try domain.identity(role: .device)
    let connection = try rawConnection(to: server, domain: domain, identity: device)
    let body = CBOREncoder.encode([1, 2, 3])
    try connection.tls.write([0, 0, 0, UInt8(body.count)] + body)
    let answer = try ErrorMessage(try connection.receive())
    #expect(answer == ErrorMessage(.malformedFrame, "the frame is a CBOR array, not a map"))
    #expect(try connection.receiveIfAny() == nil)

    let next = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: device), expectedRoles: [.runtime])
    #expect(try next.request(ping(2)).unsigned("n") == 2)
}

@Test func handlerErrorsBecomeErrorFrames() throws {
    let domain = try TestDomain()
    struct Broken: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }
    // A code of the application protocol, which Channel does not declare, travels all the same.
    let applicationCode = ErrorCode(rawValue: "no-model")
    let server = try startServer(context: try domain.serverContext()) { _, request, _ in
        if request.type == "get-model" { throw ChannelError(applicationCode, "no model has been uploaded yet") }
        throw Broken()
    }
    defer { server.stop() }
    let context = try domain.clientContext(identity: try domain.identity(role: .device))
    let first = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    let noModel = #expect(throws: ChannelError.self) { try first.request(Message(type: "get-model")) }
    #expect(noModel == ChannelError(kind: .remote, code: applicationCode, message: "no model has been uploaded yet"))
    let second = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    let broken = #expect(throws: ChannelError.self) { try second.request(ping(1)) }
    #expect(broken == ChannelError(kind: .remote, code: .internal, message: "the disk is full"))
    // The unknown-type answer of the echo handler, with its code.
    let third = try startServer(context: try domain.serverContext())
    defer { third.stop() }
    let client = try ChannelClient.connect(host: "127.0.0.1", port: third.port, context: context, expectedRoles: [.runtime])
    let unknown = #expect(throws: ChannelError.self) { try client.request(Message(type: "dance")) }
    #expect(unknown?.description == "unknown-type: \"dance\" is not served here")
}

@Test func readTimeoutFiresOnASilentPeer() throws {
    let domain = try TestDomain()
    let server = try startServer(
        context: try domain.serverContext(), configuration: .init(name: "runtime", readTimeout: .milliseconds(300)))
    defer { server.stop() }
    let connection = try rawConnection(to: server, domain: domain, identity: try domain.identity(role: .device))
    // Say nothing: the server gives up on us and says why.
    let answer = try ErrorMessage(try connection.receive())
    #expect(answer.code == .timeout)
    #expect(answer.message == "runtime closed the connection: waiting for a frame from 127.0.0.1:\(connection.socket.localPort): timed out after 0.3 seconds")
}

@Test func clientReadTimeoutFiresOnASilentServer() throws {
    let domain = try TestDomain()
    // The server answers nothing until the test is over.
    let testOver = DispatchSemaphore(value: 0)
    let server = try startServer(context: try domain.serverContext()) { _, _, _ in testOver.wait() }
    defer { server.stop() }
    defer { testOver.signal() }
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: try domain.identity(role: .device)),
        expectedRoles: [.runtime], configuration: .init(readTimeout: .milliseconds(200)))
    let error = #expect(throws: ChannelError.self) { try client.request(ping(1)) }
    #expect(error?.kind == .timeout && error?.code == .timeout)
}

@Test func twoHundredConcurrentClientsAllSucceed() throws {
    let domain = try TestDomain()
    let count = 200
    let busiest = Mutex((now: 0, most: 0))
    // One certificate for all of them, so the per-certificate limit is raised to let them in.
    let configuration = ChannelServer.Configuration(name: "runtime", maxConnectionsPerCertificate: count)
    let server = try startServer(context: try domain.serverContext(), configuration: configuration) { peer, request, connection in
        busiest.withLock { $0.most = max($0.most, $0.now) }
        try echo(peer, request, connection)
    }
    defer { server.stop() }
    let context = try domain.clientContext(identity: try domain.identity(role: .device))
    let allConnected = DispatchGroup()
    let go = DispatchSemaphore(value: 0)
    let finished = DispatchGroup()
    let successes = Mutex(0)
    let failures = Mutex([String]())
    for index in 0..<count {
        allConnected.enter()
        finished.enter()
        let thread = Thread {
            defer {
                OpenSSLThread.finish()
                finished.leave()
            }
            var entered = true
            do {
                let client = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
                allConnected.leave()
                entered = false
                go.wait()
                let answer = try client.request(ping(UInt64(index)))
                if try answer.unsigned("n") == UInt64(index) { successes.withLock { $0 += 1 } }
                client.close()
            } catch {
                if entered { allConnected.leave() }
                failures.withLock { $0.append("\(index): \(error)") }
            }
        }
        thread.stackSize = 256 << 10
        thread.start()
    }
    allConnected.wait()
    let open = server.activeConnections
    busiest.withLock { $0.now = open }
    for _ in 0..<count { go.signal() }
    finished.wait()
    #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
    #expect(successes.withLock { $0 } == count)
    #expect(open == count, "connections open at once")
}

@Test func stopEndsOpenConnectionsAndRefusesNewOnes() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext())
    let context = try domain.clientContext(identity: try domain.identity(role: .device))
    let client = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    #expect(try client.request(ping(1)).unsigned("n") == 1)
    server.stop()
    #expect(server.activeConnections == 0)
    #expect(throws: ChannelError.self) { try client.request(ping(2)) }
    #expect(throws: ChannelError.self) {
        try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    }
    server.stop()
}

/// A started server of `domain` with `configuration`, and the records of what it logs.
private func recordedServer(_ domain: TestDomain, _ configuration: ChannelServer.Configuration) throws -> (ChannelServer, LogRecords) {
    let records = LogRecords()
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: try domain.serverContext(), configuration: configuration, logger: records.logger(),
        handler: echo)
    try server.start()
    return (server, records)
}

@Test func aPeerThatTricklesItsHandshakeIsCutOffAtTheHandshakeTimeout() throws {
    let domain = try TestDomain()
    let (server, records) = try recordedServer(domain, .init(name: "runtime", handshakeTimeout: .milliseconds(500)))
    defer { server.stop() }
    let socket = try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10))
    // A TLS record header announcing 16 KiB, then one byte every 50 ms: each read gets a byte well
    // within the 0.5 s timeout, and the record would take 14 minutes to arrive.
    let header: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00]
    #expect(send(socket.fileDescriptor, header, header.count, Int32(MSG_NOSIGNAL)) == header.count)
    let cutOff = eventually(timeout: .seconds(60)) {
        var byte: UInt8 = 0x01
        if send(socket.fileDescriptor, &byte, 1, Int32(MSG_NOSIGNAL)) != 1 { return true }
        if socket.isReadable { return recv(socket.fileDescriptor, &byte, 1, 0) <= 0 }
        Thread.sleep(forTimeInterval: 0.05)
        return false
    }
    #expect(cutOff)
    #expect(eventually { server.activeConnections == 0 })
    let failure = try #require(records.all.first { $0.message == "TLS handshake failed" })
    #expect(failure.metadata["error"]?.hasSuffix(": took longer than 0.5 seconds") == true, "\(failure.metadata)")
}

@Test func aPeerThatTricklesAFrameIsCutOffAtTheReadTimeout() throws {
    let domain = try TestDomain()
    let (server, records) = try recordedServer(domain, .init(name: "runtime", readTimeout: .milliseconds(500)))
    defer { server.stop() }
    let connection = try rawConnection(to: server, domain: domain, identity: try domain.identity(role: .device))
    // A frame of 1000 bytes, one byte every 50 ms: it would take 50 s.
    try connection.tls.write([0, 0, 0x03, 0xe8])
    let cutOff = eventually(timeout: .seconds(60)) {
        guard (try? connection.tls.write([0xa0])) != nil else { return true }
        Thread.sleep(forTimeInterval: 0.05)
        return false
    }
    #expect(cutOff)
    #expect(eventually { server.activeConnections == 0 })
    let timeout = try #require(records.all.first { $0.message == "timed out" })
    #expect(timeout.metadata["error"]?.hasPrefix("receiving a 1000-byte frame from 127.0.0.1:") == true, "\(timeout.metadata)")
    #expect(timeout.metadata["error"]?.hasSuffix(": took longer than 0.5 seconds") == true, "\(timeout.metadata)")
}

@Test func aClientIsNotHeldByAServerThatTricklesItsHandshake() throws {
    // Not a TLS server: it answers a ClientHello with a record header announcing 16 KiB, then one byte
    // every 50 ms, each well within the client's 0.5 s per-read timeout.
    let listener = try TCPListener(host: "127.0.0.1", port: 0)
    let trickler = Thread {
        guard let socket = try? listener.accept() else { return }
        var bytes: [UInt8] = [0x16, 0x03, 0x03, 0x40, 0x00]
        while send(socket.fileDescriptor, &bytes, bytes.count, Int32(MSG_NOSIGNAL)) > 0 {
            bytes = [0x01]
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
    trickler.start()
    defer { listener.shutdown() }
    let domain = try TestDomain()
    let error = #expect(throws: ChannelError.self) {
        try ChannelClient.connect(
            host: "127.0.0.1", port: listener.port, context: try domain.clientContext(identity: try domain.identity(role: .device)),
            expectedRoles: [.runtime], configuration: .init(connectTimeout: .milliseconds(500)))
    }
    // The bound on the whole handshake, not a per-read timeout (the 16 KiB would take 14 minutes).
    #expect(error?.kind == .timeout)
    #expect(error?.message == "TLS handshake with runtime at 127.0.0.1:\(listener.port): took longer than 0.5 seconds")
}

@Test func connectionsOverTheLimitAreClosedAtOnceAndOthersStillServed() throws {
    let domain = try TestDomain()
    let (server, records) = try recordedServer(domain, .init(name: "runtime", maxConnections: 2))
    defer { server.stop() }
    let context = try domain.clientContext(identity: try domain.identity(role: .device))
    let first = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    let second = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    for _ in 0..<2 {
        #expect(throws: ChannelError.self) {
            try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
        }
    }
    // The two connections served before the limit still are.
    #expect(try first.request(ping(1)).unsigned("n") == 1)
    #expect(try second.request(ping(2)).unsigned("n") == 2)
    #expect(records.all.filter { $0.message.hasPrefix("connection limit reached") }.count == 1)

    // Once one ends, a new one is served.
    first.close()
    #expect(eventually { server.activeConnections < 2 })
    let third = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    #expect(try third.request(ping(3)).unsigned("n") == 3)
}

@Test func connectionsStuckInTheirHandshakeDoNotCrowdOutOthers() throws {
    let domain = try TestDomain()
    let (server, records) = try recordedServer(
        domain, .init(name: "runtime", handshakeTimeout: .seconds(60), maxHandshakes: 2))
    defer { server.stop() }
    let context = try domain.clientContext(identity: try domain.identity(role: .device))
    let admitted = try ChannelClient.connect(host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime])
    // Two connections that never start their handshake take both handshake places.
    let silent = try (0..<2).map { _ in try TCPConnector.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(10)) }
    #expect(eventually { server.activeConnections == 3 })
    // The admitted peer is still served; a new one gets in at once (long before the 60 s handshake
    // timeout): the oldest unfinished handshake gives way to it.
    #expect(try admitted.request(ping(1)).unsigned("n") == 1)
    let newcomer = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: context, expectedRoles: [.runtime], configuration: .init(connectTimeout: .seconds(10)))
    #expect(try newcomer.request(ping(2)).unsigned("n") == 2)
    let evicted = try #require(records.all.first { $0.message == "TLS handshake failed" })
    #expect(evicted.metadata["error"]?.contains("evicted: 2 connections were in their TLS handshake") == true, "\(evicted.metadata)")
    // The oldest silent connection was the one closed: it reads the end of the stream.
    var byte: UInt8 = 0
    try silent[0].setTimeouts(receive: .seconds(10), send: .seconds(10))
    #expect(recv(silent[0].fileDescriptor, &byte, 1, 0) == 0)
    #expect(server.activeConnections == 3)
}

@Test func aRequestAfterThePeersCertificateExpiredIsRefused() throws {
    let domain = try TestDomain()
    let server = try startServer(context: try domain.serverContext())
    defer { server.stop() }
    let shortLived = try domain.identity(role: .device, notAfter: Date() + 3)
    let client = try ChannelClient.connect(
        host: "127.0.0.1", port: server.port, context: try domain.clientContext(identity: shortLived), expectedRoles: [.runtime])
    #expect(try client.request(ping(1)).unsigned("n") == 1)
    // The connection outlives the certificate.
    #expect(eventually { Date() > shortLived.certificate.notAfter + 0.5 })
    let error = #expect(throws: ChannelError.self) { try client.request(ping(2)) }
    #expect(error?.kind == .remote && error?.code == .notAuthorized)
    #expect(error?.message == "runtime refused the request: your certificate expired on \(UTCTimeText.format(shortLived.certificate.notAfter)) "
        + "(after this connection was made); attest again and reconnect")
}
