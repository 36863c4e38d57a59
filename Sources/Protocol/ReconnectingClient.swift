public import Channel
public import OpenSSLKit
public import Policy

/// One connection to a server that has one or more replicas: it connects on first use, keeps the
/// connection for later requests, connects again when the server closed it in between, presents the
/// context that `context` holds at each new connection (a renewal replaces it), and moves to the next
/// replica (`Failover`) when one cannot be reached or answers that it cannot serve now.
///
/// Whether a request may go to another replica after a failure depends on the request
/// (`RequestSafety`); the rule is in docs/protocol.md, "Several replicas". Not `Sendable`: one thread at
/// a time uses it.
public final class ReconnectingClient {
    /// Whether a request may be sent again (to the same or another replica) once it may have arrived.
    public enum RequestSafety: Sendable {
        /// Sending it twice has the effect of sending it once (a read, a join, an update the runtime
        /// deduplicates by id, an anchor advance that is already there): it may be sent again after any
        /// broken connection, and after an answer the caller lists.
        case idempotent
        /// Sending it twice may do it twice (train, put-model): it is sent again only when the failure
        /// came before the request was written; afterwards the failure is reported.
        case onlyIfUnsent
    }

    /// The replicas and how they are tried; settable so a caller can report moves or tests can make the
    /// waits instant.
    public var failover: Failover
    /// The context of the next connection; a renewal replaces it from another thread.
    public let context: ReplaceableContext
    /// Checked on every new connection after the peer check: a reason refuses the server (e.g. its
    /// certificate is revoked); nil accepts it.
    public var refusal: (@Sendable (PeerIdentity) -> String?)?
    /// The connection limits.
    public let configuration: ChannelClient.Configuration
    private let expectedRoles: Set<Role>
    private var client: ChannelClient?
    private var index = 0

    /// A client of the servers at `addresses` (tried in order) whose certificates name one of
    /// `expectedRoles`, presenting the client certificate in `context`.
    public init(
        addresses: [ServerAddress], context: ReplaceableContext, expectedRoles: Set<Role>,
        configuration: ChannelClient.Configuration = .init(), backoff: RetryBackoff = RetryBackoff()
    ) {
        self.failover = Failover(addresses: addresses, backoff: backoff)
        self.context = context
        self.expectedRoles = expectedRoles
        self.configuration = configuration
    }

    deinit {
        client?.close()
    }

    /// The address in use: the one that answered last, or the first.
    public var address: ServerAddress? { failover.addresses.indices.contains(index) ? failover.addresses[index] : nil }

    /// The server as its certificate describes it, once connected.
    public var server: PeerIdentity? { client?.server }

    /// Connects now (if not connected), moving on past replicas that cannot be reached, and returns the
    /// server's identity.
    @discardableResult
    public func connect() throws(ChannelError) -> PeerIdentity {
        try exchange(.idempotent, movingOnAfter: []) { (client, _) throws(ChannelError) in client.server }
    }

    /// Runs one request: `body` sends it on the connection and calls `sent` once it is written. After a
    /// failure the connection is dropped; the request goes to the next replica when the connection
    /// could not be made, or when `safety` allows it after a broken connection or an answer whose code
    /// is in `codes`. A kept connection found broken is replaced once at the same address first.
    public func exchange<Answer>(
        _ safety: RequestSafety, movingOnAfter codes: Set<ErrorCode> = [.unavailable],
        _ body: (ChannelClient, _ sent: () -> Void) throws(ChannelError) -> Answer
    ) throws(ChannelError) -> Answer {
        var connected = false
        var written = false
        let (answer, used) = try failover.run(from: index) { (next) throws(ChannelError) -> Answer in
            if next != index {
                close()
                index = next
            }
            var reconnected = false
            while true {
                connected = false
                written = false
                let kept = client != nil
                do throws(ChannelError) {
                    let client = try connection()
                    connected = true
                    return try body(client) { written = true }
                } catch {
                    close()
                    let broken = error.kind == .closed || error.kind == .transport
                    if kept, connected, broken, !reconnected, !written || safety == .idempotent {
                        reconnected = true
                        continue
                    }
                    throw error
                }
            }
        } movesOn: { error in
            guard connected else { return true }
            let mayResend = !written || safety == .idempotent
            switch error.kind {
            case .remote: return mayResend && codes.contains(error.code)
            case .closed, .transport, .timeout: return mayResend
            case .local, .refused: return false
            }
        }
        index = used
        return answer
    }

    /// Closes the connection, if open.
    public func close() {
        client?.close()
        client = nil
    }

    /// The open connection, or a new one to the current address if there is none or the server closed
    /// the old one.
    private func connection() throws(ChannelError) -> ChannelClient {
        // Between requests only the server's close (and its timeout error frame) can be waiting.
        if let client, !client.connection.hasPendingInput { return client }
        close()
        guard let address else { throw ChannelError(kind: .transport, code: .internal, message: "no server address was given") }
        let fresh = try ChannelClient.connect(
            host: address.host, port: address.port, context: context.current, expectedRoles: expectedRoles, configuration: configuration)
        if let reason = refusal?(fresh.server) {
            fresh.close()
            let name = expectedRoles.sorted().map(\.rawValue).joined(separator: " or ")
            throw ChannelError(kind: .refused, code: .notAuthorized, message: "refused \(name) at \(address): \(reason)")
        }
        client = fresh
        return fresh
    }
}
