internal import ByteKit
import Foundation
public import OpenSSLKit
public import Policy

/// A client connection to a channel server: it checks the server's certificate and role before it
/// sends anything, then exchanges requests and answers.
///
/// Not `Sendable`: one thread at a time uses it.
public final class ChannelClient {
    /// Limits for the connection.
    public struct Configuration: Sendable {
        /// The most connecting (TCP) and the TLS handshake may each take.
        public var connectTimeout: Duration
        /// The most one read may wait, including the wait for an answer.
        public var readTimeout: Duration
        /// The most one write may wait.
        public var writeTimeout: Duration
        /// The largest frame accepted or sent.
        public var maxFrameSize: Int

        /// Limits with these defaults: 10 s connect, 5 min read, 30 s write, 1 MiB frames.
        public init(
            connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(300),
            writeTimeout: Duration = .seconds(30), maxFrameSize: Int = FrameCodec.defaultMaxFrameSize
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.writeTimeout = writeTimeout
            self.maxFrameSize = maxFrameSize
        }
    }

    /// The connection, for exchanges that `request` does not fit (several answers to one request).
    package let connection: FramedConnection
    /// The server's identity, from its trusted certificate.
    public let server: PeerIdentity

    private init(connection: FramedConnection, server: PeerIdentity) {
        self.connection = connection
        self.server = server
    }

    /// Connects to `host:port`, runs the handshake, and checks that the server's certificate is trusted
    /// and names one of `expectedRoles` (nil: any role).
    ///
    /// A refused server is told why in an `error` frame, and the thrown error reads like
    /// `refused runtime at 127.0.0.1:8124: its certificate is not issued by this domain's policy key (...)`,
    /// where "runtime" is `peerName` (by default the expected roles).
    public static func connect(
        host: String, port: UInt16, context: TLSContext, expectedRoles: Set<Role>?, peerName: String? = nil,
        configuration: Configuration = Configuration()
    ) throws(ChannelError) -> ChannelClient {
        guard context.side == .client else {
            throw ChannelError(kind: .transport, code: .internal, message: "a ChannelClient needs a client TLS context")
        }
        let name = peerName ?? expectedRoles.map { $0.sorted().map(\.rawValue).joined(separator: " or ") } ?? "server"
        let endpoint = hostPortText(host: host, port: port)
        let socket: Socket
        do {
            socket = try TCPConnector.connect(host: host, port: port, timeout: configuration.connectTimeout)
        } catch {
            throw unreachable(error, endpoint: endpoint, peerName: peerName, expectedRoles: expectedRoles)
        }
        let connection = try FramedConnection.handshake(
            over: socket, context: context, peer: "\(name) at \(endpoint)", handshakeTimeout: configuration.connectTimeout,
            readTimeout: configuration.readTimeout, writeTimeout: configuration.writeTimeout,
            maxFrameSize: configuration.maxFrameSize)
        let refusal = { (reason: String) -> ChannelError in
            connection.sendError(.notAuthorized, "the client refused the connection: your certificate \(reason)")
            return ChannelError(kind: .refused, code: .notAuthorized, message: "refused \(name) at \(endpoint): its certificate \(reason)")
        }
        let server: PeerIdentity
        do {
            server = try PeerCheck.check(verdict: connection.tls.peerVerdict, allowed: expectedRoles)
        } catch {
            if let expired = expiredAdmission(connection.tls.peerVerdict) {
                connection.sendError(.notAuthorized, "the client refused the connection: your certificate expired on \(UTCTimeText.format(expired.at))")
                // The fix is on the server's side, so the message says whose move it is.
                throw ChannelError(
                    kind: .refused, code: .notAuthorized,
                    message: "refused \(name) at \(endpoint): the \(expired.role)'s admission expired at \(UTCTimeText.format(expired.at)): the \(expired.role) must attest again")
            }
            throw refusal(error.reasonAboutServer)
        }
        connection.peer = server
        return ChannelClient(connection: connection, server: server)
    }

    /// The role and expiry of a server certificate refused only for having expired (an admission
    /// certificate of this domain whose time ran out), or nil.
    static func expiredAdmission(_ verdict: TLSPeerVerdict, now: Date = Date()) -> (role: Role, at: Date)? {
        guard case .untrusted(let reason, let certificate?) = verdict, reason.hasPrefix("expired on"), certificate.notAfter < now,
            let identity = try? PeerIdentity(certificate: certificate)
        else { return nil }
        return (identity.role, certificate.notAfter)
    }

    /// A failed TCP connect, said as a person needs it: which role was expected at the address, why
    /// the connect failed, and which command serves there, e.g. `cannot connect to the runtime at
    /// 127.0.0.1:8124: connection refused (is cml-runtime serve running there?)`.
    static func unreachable(_ error: ChannelError, endpoint: String, peerName: String?, expectedRoles: Set<Role>?) -> ChannelError {
        let roles = expectedRoles.map { $0.sorted().map(\.rawValue) } ?? []
        let who = peerName ?? (roles.isEmpty ? "the server" : "the " + roles.joined(separator: " or "))
        // TCPConnector says "cannot connect to HOST:PORT: ADDRESS: reason; ADDRESS: reason"; with one
        // address, the address repeats the endpoint.
        var reason = error.message
        for prefix in ["cannot connect to \(endpoint): ", "\(endpoint): "] where reason.hasPrefix(prefix) {
            reason.removeFirst(prefix.count)
        }
        if let first = reason.first, first.isUppercase, reason.dropFirst().first?.isLowercase == true {
            reason = first.lowercased() + reason.dropFirst()
        }
        let hint = roles.count == 1 ? " (is cml-\(roles[0]) serve running there?)" : ""
        return ChannelError(kind: error.kind, code: error.code, message: "cannot connect to \(who) at \(endpoint): \(reason)\(hint)")
    }

    /// Sends `message` and returns the answer; an `error` answer is thrown (kind `.remote`) and closes
    /// the connection, as the protocol says. `onSent` runs once the request is written, before the wait
    /// for the answer (a provider reports "sent" there).
    public func request(_ message: Message, onSent: () -> Void = {}) throws(ChannelError) -> Message {
        // A server that refused this connection sent its error frame and closed right after the
        // handshake. Reading it first keeps the reason even when the close has already turned into a
        // reset, which would make the send fail and lose the frame.
        if connection.hasPendingInput {
            guard let early = try connection.receiveIfAny() else {
                throw ChannelError(kind: .closed, code: .internal, message: "\(connection.peerAddress) closed the connection")
            }
            if early.type == ErrorMessage.type { throw remoteError(early) }
            throw ChannelError(.badRequest, "\(connection.peerAddress) sent \"\(early.type)\" before any request")
        }
        try connection.send(message)
        onSent()
        let answer = try connection.receive()
        if answer.type == ErrorMessage.type { throw remoteError(answer) }
        return answer
    }

    /// Closes the connection cleanly.
    public func close() {
        connection.close()
    }

    private func remoteError(_ frame: Message) -> ChannelError {
        connection.close()
        do {
            let error = try ErrorMessage(frame)
            return ChannelError(kind: .remote, code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds)
        } catch {
            return ChannelError(kind: .remote, code: .internal, message: "an error frame without a readable code: \(error.message)", cause: error)
        }
    }
}
