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
/// connection ends at the runtime's read timeout). Given several runtime replicas, it moves to the next
/// when one cannot be reached or answers `unavailable`, as far as each request may be sent again
/// (`ReconnectingClient`, docs/protocol.md). Every model it receives is decoded and checked against its
/// id as its message is read (`ModelReply`, `TrainedReply`).
///
/// Not `Sendable`: one thread at a time uses it.
public final class RuntimeClient: ReplicaClient {
    /// The connection to the runtime's replicas.
    public let replicas: ReconnectingClient

    /// A client of the runtime replicas at `addresses`, tried in order, presenting the admission
    /// certificate in `context`.
    public init(addresses: [ServerAddress], context: TLSContext, configuration: ChannelClient.Configuration = .init()) {
        replicas = ReconnectingClient(
            addresses: addresses, context: ReplaceableContext(context), expectedRoles: [.runtime], configuration: configuration)
    }

    /// The context of the next connection; a renewal replaces it from another thread.
    public var context: ReplaceableContext { replicas.context }
    /// Checked on every new connection after the peer check: a reason refuses the runtime (e.g. its
    /// certificate is revoked, from the last revocation list fetched); nil accepts it.
    public var refusal: (@Sendable (PeerIdentity) -> String?)? {
        get { replicas.refusal }
        set { replicas.refusal = newValue }
    }
    /// The replicas and how they are tried (its `onMove` hears each move to another replica).
    public var failover: Failover {
        get { replicas.failover }
        set { replicas.failover = newValue }
    }
    private var configuration: ChannelClient.Configuration { replicas.configuration }

    /// The runtime as its certificate describes it, once connected.
    public var server: PeerIdentity? { replicas.server }

    /// Connects now (if not connected) and returns the runtime's identity; throws if it is refused.
    @discardableResult
    public func connect() throws(ChannelError) -> PeerIdentity {
        try replicas.connect()
    }

    /// Uploads a model blob, with the validation words `validation` if given; `onSent` hears its id once
    /// the frame is written, before the acknowledgement. Throws if the runtime acknowledges another id or
    /// size, or does not confirm that it sealed every validation word (a runtime that predates validation
    /// lists ignores them).
    public func putModel(
        _ blob: ModelBlob, validation: [String]? = nil, onSent: (_ id: String) -> Void = { _ in }
    ) throws(ChannelError) -> ModelAck {
        let ack = try replicas.exchange(.onlyIfUnsent) { (client, sent) throws(ChannelError) in
            try client.request(PutModelRequest(model: blob.bytes, validation: validation), expecting: ModelAck.self) {
                sent()
                onSent(blob.id)
            }
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
        try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
            try client.request(GetModelRequest(), expecting: ModelReply.self, onSent: sent)
        }
    }

    /// Asks the runtime to train its current model on `words` and returns the trained model. Sent to
    /// another replica only if it was not written yet: a resend could train twice.
    public func train(words: [String]) throws(ChannelError) -> TrainedReply {
        try replicas.exchange(.onlyIfUnsent) { (client, sent) throws(ChannelError) in
            try client.request(TrainRequest(words: words), expecting: TrainedReply.self, onSent: sent)
        }
    }

    /// Uploads a locally trained model as the update of `round` (FL mode), with the loss of its last local
    /// epoch if known. Throws if the runtime acknowledges another round or id.
    public func update(round: UInt64, model: ModelBlob, samples: UInt64, loss: Double? = nil) throws(ChannelError) -> UpdateAck {
        // The runtime acknowledges an update it stored before again (by id), so a resend is safe.
        let ack = try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
            try client.request(
                UpdateRequest(round: round, model: model.bytes, samples: samples, loss: loss), expecting: UpdateAck.self, onSent: sent)
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
        try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
            try client.request(JoinRequest(round: round), expecting: JoinAck.self, onSent: sent)
        }
    }

    /// Waits (at most `timeout`) until the runtime publishes the global model of `round` or a later one
    /// (FL mode), and returns it. Throws if the model's id does not match or its round is earlier.
    public func awaitGlobal(round: UInt64, timeout: Duration = .seconds(3600)) throws(ChannelError) -> ModelReply {
        let reply = try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
            // The answer comes when the round closes, which may be well past the usual read timeout.
            try client.connection.setTimeouts(read: timeout, write: configuration.writeTimeout)
            let reply = try client.request(AwaitGlobalRequest(round: round), expecting: ModelReply.self, onSent: sent)
            try client.connection.setTimeouts(read: configuration.readTimeout, write: configuration.writeTimeout)
            return reply
        }
        guard reply.round >= round else {
            throw ChannelError(.badRequest, "the runtime answered the wait for round \(round) with the global model of round \(reply.round)")
        }
        return reply
    }

    /// Throws `not-authorized` unless the policy lets `role` connect to the runtime (`allowed`): a role
    /// talks only over the channels its policy lists.
    public static func requireChannel(from role: Role, allowed: Bool) throws(ChannelError) {
        guard allowed else {
            throw ChannelError(kind: .refused, code: .notAuthorized, message: "the policy lists no channel from \(role) to \(Role.runtime)")
        }
    }
}
