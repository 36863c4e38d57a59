public import Channel
internal import ByteKit
public import OpenSSLKit
public import Policy
public import WordModel

/// A client of the runtime's requests (`put-model`, `get-model`, `train`, `update`, `await-global`), for
/// the provider and devices.
///
/// It connects on first use and checks that the server's certificate names the runtime role. It keeps
/// the connection for later requests, and connects again if the runtime closed it in between (an idle
/// connection ends at the runtime's read timeout). Every model it receives is decoded and checked against
/// its id as its message is read (`ModelReply`, `TrainedReply`).
///
/// Not `Sendable`: one thread at a time uses it.
public final class RuntimeClient {
    /// The runtime's host.
    public let host: String
    /// The runtime's port.
    public let port: UInt16
    /// The context of the next connection; a renewal replaces it from another thread.
    public let context: ReplaceableContext
    /// Checked on every new connection after the peer check: a reason refuses the runtime (e.g. its
    /// certificate is revoked, from the last revocation list fetched); nil accepts it.
    public var refusal: (@Sendable (PeerIdentity) -> String?)?
    private let configuration: ChannelClient.Configuration
    private var client: ChannelClient?

    /// A client of the runtime at `host:port` presenting the admission certificate in `context`.
    public init(host: String, port: UInt16, context: TLSContext, configuration: ChannelClient.Configuration = .init()) {
        self.host = host
        self.port = port
        self.context = ReplaceableContext(context)
        self.configuration = configuration
    }

    deinit {
        client?.close()
    }

    /// The runtime as its certificate describes it, once connected.
    public var server: PeerIdentity? { client?.server }

    /// "127.0.0.1:8124".
    public var endpoint: String { hostPortText(host: host, port: port) }

    /// Connects now (if not connected) and returns the runtime's identity; throws if it is refused.
    @discardableResult
    public func connect() throws(ChannelError) -> PeerIdentity {
        try connection().server
    }

    /// Uploads a model blob, with the validation words `validation` if given; `onSent` hears its id once
    /// the frame is written, before the acknowledgement. Throws if the runtime acknowledges another id or
    /// size, or does not confirm that it sealed every validation word (a runtime that predates validation
    /// lists ignores them).
    public func putModel(
        _ blob: ModelBlob, validation: [String]? = nil, onSent: (_ id: String) -> Void = { _ in }
    ) throws(ChannelError) -> ModelAck {
        let ack = try exchange { (client) throws(ChannelError) in
            try client.request(PutModelRequest(model: blob.bytes, validation: validation), expecting: ModelAck.self) { onSent(blob.id) }
        }
        guard ack.id == blob.id, ack.size == UInt64(blob.size) else {
            throw ChannelError(
                .badRequest,
                "the runtime acknowledged model \(ack.id.prefix(8)) (\(ack.size) bytes), not the one sent, \(blob.shortID) (\(blob.size) bytes)")
        }
        if let validation, ack.validationWords != UInt64(validation.count) {
            let held = ack.validationWords.map { "\($0) validation words" } ?? "no validation list (it may predate them)"
            throw ChannelError(
                .badRequest,
                "the runtime acknowledged model \(blob.shortID) with \(held), not the \(validation.count) sent; the model is stored, the validation list is not")
        }
        return ack
    }

    /// Downloads the runtime's current model; throws `no-model` (from the runtime) if it has none.
    public func getModel() throws(ChannelError) -> ModelReply {
        try exchange { (client) throws(ChannelError) in try client.request(GetModelRequest(), expecting: ModelReply.self) }
    }

    /// Asks the runtime to train its current model on `words` and returns the trained model.
    public func train(words: [String]) throws(ChannelError) -> TrainedReply {
        try exchange { (client) throws(ChannelError) in
            try client.request(TrainRequest(words: words), expecting: TrainedReply.self)
        }
    }

    /// Uploads a locally trained model as the update of `round` (FL mode), with the loss of its last local
    /// epoch if known. Throws if the runtime acknowledges another round or id.
    public func update(round: UInt64, model: ModelBlob, samples: UInt64, loss: Double? = nil) throws(ChannelError) -> UpdateAck {
        let ack = try exchange { (client) throws(ChannelError) in
            try client.request(UpdateRequest(round: round, model: model.bytes, samples: samples, loss: loss), expecting: UpdateAck.self)
        }
        guard ack.id == model.id, ack.round == round else {
            throw ChannelError(
                .badRequest,
                "the runtime acknowledged update \(ack.id.prefix(8)) of round \(ack.round), not the one sent, \(model.shortID) of round \(round)")
        }
        return ack
    }

    /// Asks to take part in `round` before training for it: `not-sampled` if Poisson sampling left this
    /// device out (fl.privacy), `budget-exhausted`, `wrong-round` or `no-model` otherwise.
    public func join(round: UInt64) throws(ChannelError) -> JoinAck {
        try exchange { (client) throws(ChannelError) in try client.request(JoinRequest(round: round), expecting: JoinAck.self) }
    }

    /// Waits (at most `timeout`) until the runtime publishes the global model of `round` or a later one
    /// (FL mode), and returns it. Throws if the model's id does not match or its round is earlier.
    public func awaitGlobal(round: UInt64, timeout: Duration = .seconds(3600)) throws(ChannelError) -> ModelReply {
        let reply = try exchange { (client) throws(ChannelError) in
            // The answer comes when the round closes, which may be well past the usual read timeout.
            try client.connection.setTimeouts(read: timeout, write: configuration.writeTimeout)
            let reply = try client.request(AwaitGlobalRequest(round: round), expecting: ModelReply.self)
            try client.connection.setTimeouts(read: configuration.readTimeout, write: configuration.writeTimeout)
            return reply
        }
        guard reply.round >= round else {
            throw ChannelError(.badRequest, "the runtime answered the wait for round \(round) with the global model of round \(reply.round)")
        }
        return reply
    }

    /// Closes the connection, if open.
    public func close() {
        client?.close()
        client = nil
    }

    /// Throws `not-authorized` unless the policy lets `role` connect to the runtime (`allowed`): a role
    /// talks only over the channels its policy lists.
    public static func requireChannel(from role: Role, allowed: Bool) throws(ChannelError) {
        guard allowed else {
            throw ChannelError(kind: .refused, code: .notAuthorized, message: "the policy lists no channel from \(role) to \(Role.runtime)")
        }
    }

    /// The open connection, or a new one if there is none or the runtime closed the old one.
    private func connection() throws(ChannelError) -> ChannelClient {
        // Between requests only the runtime's close (and its timeout error frame) can be waiting.
        if let client, !client.connection.hasPendingInput { return client }
        close()
        let fresh = try ChannelClient.connect(
            host: host, port: port, context: context.current, expectedRoles: [.runtime], configuration: configuration)
        if let reason = refusal?(fresh.server) {
            fresh.close()
            throw ChannelError(kind: .refused, code: .notAuthorized, message: "refused runtime at \(endpoint): \(reason)")
        }
        client = fresh
        return fresh
    }

    /// Runs one exchange; after any failure the connection is dropped, so the next request starts afresh.
    private func exchange<Answer>(_ body: (ChannelClient) throws(ChannelError) -> Answer) throws(ChannelError) -> Answer {
        let client = try connection()
        do {
            return try body(client)
        } catch {
            close()
            throw error
        }
    }
}
