import ByteKit
import Foundation
import OpenSSLKit
import Testing

private let policyKey = "this domain's policy key"

/// A domain: the root, a runtime (server) and a device (client), each with a certificate from the root.
private struct Domain {
    let authority: TestAuthority
    let server: TLSIdentity
    let client: TLSIdentity

    init() throws {
        authority = try TestAuthority()
        let (serverCertificate, serverKey) = try authority.issue(role: "runtime")
        let (clientCertificate, clientKey) = try authority.issue(role: "device")
        server = TLSIdentity(certificate: serverCertificate, privateKey: serverKey)
        client = TLSIdentity(certificate: clientCertificate, privateKey: clientKey)
    }

    func serverContext(mutual: Bool = true) throws -> TLSContext {
        try TLSContext(
            side: .server, trustedRoot: authority.certificate, rootDescription: policyKey, identity: server,
            requestPeerCertificate: mutual)
    }

    func clientContext(identity: TLSIdentity? = nil, root: Certificate? = nil) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root ?? authority.certificate, rootDescription: policyKey, identity: identity)
    }
}

@Test func mutualTLSHandshakeTrustsBothSidesAndCarriesData() throws {
    let domain = try Domain()
    let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let (server, client) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(identity: domain.client),
        server: { connection, _ in
            try connection.handshake()
            let request = try connection.readExactly(payload.count)
            try connection.write(Array(request.reversed()))
            return (connection.peerVerdict, connection.negotiated)
        },
        client: { connection, _ in
            try connection.handshake()
            try connection.write(payload)
            let answer = try connection.readExactly(payload.count)
            return (connection.peerVerdict, answer)
        })
    let (serverVerdict, negotiated) = try server.get()
    let (clientVerdict, answer) = try client.get()
    #expect(serverVerdict == .trusted(domain.client.certificate))
    #expect(clientVerdict == .trusted(domain.server.certificate))
    #expect(answer == Array(payload.reversed()))
    #expect(negotiated.hasPrefix("TLSv1.3 TLS_"), "\(negotiated)")
}

@Test func clientWithoutCertificateStillFinishesTheHandshake() throws {
    let domain = try Domain()
    let (server, client) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(),
        server: { connection, _ in
            try connection.handshake()
            // The refusal travels over the finished connection.
            try connection.write(Array("refused".utf8))
            return connection.peerVerdict
        },
        client: { connection, _ in
            try connection.handshake()
            return (connection.peerVerdict, try connection.readExactly(7))
        })
    #expect(try server.get() == .noCertificate)
    let (verdict, heard) = try client.get()
    #expect(verdict == .trusted(domain.server.certificate))
    #expect(heard == Array("refused".utf8))
}

@Test func serverAuthOnlyDoesNotAskForACertificate() throws {
    let domain = try Domain()
    let (server, client) = try TLSPair.run(
        server: try domain.serverContext(mutual: false), client: try domain.clientContext(identity: domain.client),
        server: { connection, _ in
            try connection.handshake()
            return connection.peerVerdict
        },
        client: { connection, _ in
            try connection.handshake()
            return connection.peerVerdict
        })
    #expect(try server.get() == .noCertificate)
    #expect(try client.get() == .trusted(domain.server.certificate))
}

/// The server's verdict on a client presenting `identity`.
private func serverVerdict(on identity: TLSIdentity, domain: Domain) throws -> TLSPeerVerdict {
    let (server, _) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(identity: identity),
        server: { connection, _ in
            try connection.handshake()
            return connection.peerVerdict
        },
        client: { connection, _ in try connection.handshake() })
    return try server.get()
}

@Test func selfSignedClientIsUntrustedWithTheReason() throws {
    let domain = try Domain()
    let key = ECPrivateKey(generating: .p256)
    var builder = CertificateBuilder(subjectCommonName: "cml-runtime", subjectPublicKey: key.publicKey, notAfter: Date() + 60)
    builder.uriSubjectAlternativeNames = ["cml:role:runtime"]
    let certificate = try builder.selfSigned(with: key)
    let verdict = try serverVerdict(on: TLSIdentity(certificate: certificate, privateKey: key), domain: domain)
    #expect(verdict == .untrusted(
        reason: "is not issued by this domain's policy key (self-signed \"cml-runtime\")", certificate: certificate))
}

@Test func expiredClientIsUntrustedWithTheDate() throws {
    let domain = try Domain()
    let (certificate, key) = try domain.authority.issue(notBefore: Date() - 7200, notAfter: Date() - 3600)
    let verdict = try serverVerdict(on: TLSIdentity(certificate: certificate, privateKey: key), domain: domain)
    #expect(verdict == .untrusted(reason: "expired on \(UTCTimeText.format(certificate.notAfter))", certificate: certificate))
}

@Test func clientRefusesAServerFromAnotherAuthority() throws {
    let domain = try Domain()
    let other = try TestAuthority(name: "other-domain")
    let (server, client) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(identity: domain.client, root: other.certificate),
        server: { connection, _ in try connection.handshake() },
        client: { connection, _ in
            try connection.handshake()
            return connection.peerVerdict
        })
    _ = try server.get()
    #expect(try client.get() == .untrusted(
        reason: "is not issued by this domain's policy key (\"runtime\" is issued by \"cml-policy\")",
        certificate: domain.server.certificate))
}

@Test func readTimeoutFiresOnASilentPeerAndTheConnectionStillWrites() throws {
    let domain = try Domain()
    let (server, client) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(identity: domain.client),
        server: { connection, socket in
            try connection.handshake()
            TLSPair.setReceiveTimeout(socket, seconds: 0.3)
            let error = #expect(throws: TLSError.self) { _ = try connection.readExactly(4) }
            // After a read timeout the connection can still say so to the peer.
            try connection.write(Array("late".utf8))
            return error
        },
        client: { connection, _ in
            try connection.handshake()
            return try connection.readExactly(4)
        })
    let error = try server.get()
    #expect(error?.kind == .timeout)
    #expect(error?.message == "timed out reading")
    #expect(try client.get() == Array("late".utf8))
}

@Test func peerCloseIsReportedAsClosed() throws {
    let domain = try Domain()
    let (server, _) = try TLSPair.run(
        server: try domain.serverContext(), client: try domain.clientContext(identity: domain.client),
        server: { connection, _ in
            try connection.handshake()
            var buffer = [UInt8](repeating: 0, count: 16)
            let first = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
            let error = #expect(throws: TLSError.self) { _ = try connection.readExactly(8) }
            return (first, Array(buffer.prefix(first)), error)
        },
        client: { connection, _ in
            try connection.handshake()
            try connection.write([1, 2, 3])
            connection.close()
        })
    let (count, bytes, error) = try server.get()
    #expect(count == 3 && bytes == [1, 2, 3])
    #expect(error?.kind == .closed)
}

@Test func garbageInsteadOfAHandshakeFailsWithOpenSSLsReason() throws {
    let domain = try Domain()
    var descriptors: [Int32] = [0, 0]
    #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
    defer { descriptors.forEach { close($0) } }
    TLSPair.setReceiveTimeout(descriptors[0], seconds: 5)
    let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    #expect(Glibc.write(descriptors[1], garbage, garbage.count) == garbage.count)
    let connection = try TLSConnection(context: try domain.serverContext(), fileDescriptor: descriptors[0])
    let error = #expect(throws: TLSError.self) { try connection.handshake() }
    #expect(error?.kind == .handshakeFailed)
    #expect(error?.message.hasPrefix("TLS handshake failed: ") == true, "\(String(describing: error))")
    #expect(error?.message.contains("[SSL routines]") == true, "\(String(describing: error))")
    // A failed connection refuses further use with a clear message, and closing it is harmless.
    #expect(throws: TLSError.self) { try connection.write([1]) }
    connection.close()
}

@Test func contextsRefuseBadSettings() throws {
    let domain = try Domain()
    let noIdentity = #expect(throws: OpenSSLError.self) {
        try TLSContext(side: .server, trustedRoot: domain.authority.certificate)
    }
    #expect(noIdentity?.description.contains("a server needs a certificate") == true)
    let mismatched = TLSIdentity(certificate: domain.server.certificate, privateKey: domain.client.privateKey)
    let mismatch = #expect(throws: OpenSSLError.self) {
        try TLSContext(side: .server, trustedRoot: domain.authority.certificate, identity: mismatched)
    }
    #expect(mismatch?.description.contains("does not match") == true)
}
