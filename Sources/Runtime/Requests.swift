import ByteKit
import Channel
import Logging
import Protocol
import Synchronization
import WordModel

/// How the runtime answers each request, once the peer's role may connect (docs/protocol.md, "Runtime").
struct Requests: Sendable {
    let mode: RuntimeMode
    let store: any ModelKeeper
    let queue: TrainingQueue
    let federation: (any RoundService)?
    let logger: Logger

    /// Answers `request` from `peer` on `connection`. In FL mode a counted update may close its round:
    /// that happens after the answer is sent, also if sending it failed, and also if the answer was
    /// `unavailable` (the update counts, only its acknowledgement waits for the anchor).
    func serve(_ request: Message, from peer: PeerIdentity?, on connection: ServedConnection) throws {
        let start = ContinuousClock.now
        do {
            try answerAndClose(request, from: peer, on: connection)
            RuntimeMetrics.request(type: metricType(request), outcome: "ok", duration: .now - start)
        } catch {
            let code = (error as? ChannelError)?.code ?? .internal
            RuntimeMetrics.request(type: metricType(request), outcome: code.rawValue, duration: .now - start)
            throw error
        }
    }

    /// The request's type as a metric label: a type this mode serves, or "other" (any peer may send any
    /// text, and a label value must come from a short fixed list).
    private func metricType(_ request: Message) -> String {
        let served = mode == .ml ? RequestPermissions.ml : RequestPermissions.fl
        return served.contains { $0.type == request.type } ? request.type : "other"
    }

    private func answerAndClose(_ request: Message, from peer: PeerIdentity?, on connection: ServedConnection) throws {
        if request.type == ErrorMessage.type { throw Self.peerError(request, from: peer) }
        guard let peer else { throw ChannelError(.notAuthorized, "the runtime serves only peers with an admission certificate") }
        try RequestPermissions.check(role: peer.role, type: request.type, mode: mode)
        if request.type == AwaitGlobalRequest.type, let federation {
            try awaitGlobal(request, federation: federation, on: connection)
            return
        }
        if federation == nil, request.type == TrainRequest.type || request.type == PutModelRequest.type {
            try queue(request, from: peer, on: connection)
            return
        }
        let sent = Result { () throws(ChannelError) in try connection.send(try self.answer(request, from: peer, on: connection)) }
        if request.type == UpdateRequest.type { federation?.closeIfUpdateMadeDue() }
        try sent.get()
    }

    /// Answers an `await-global` once its model is published, holding no thread while it waits (a round
    /// may take an hour); a device that goes away stops waiting.
    private func awaitGlobal(_ request: Message, federation: any RoundService, on connection: ServedConnection) throws {
        let wait = try request.decode(as: AwaitGlobalRequest.self)
        let waitID = WaitID()
        let later = connection.answerLater(whenGone: {
            if let id = waitID.value.withLock({ $0 }) { federation.cancelWait(id) }
        })
        let id = federation.awaitGlobal(round: wait.round) { outcome in
            switch outcome {
            case .success(let reply): later.send(reply.frame)
            case .failure(let error): later.fail(error)
            }
        }
        waitID.value.withLock { $0 = id }
        // Gone before the id was known: the wait is dropped here instead.
        if let id, connection.isGone { federation.cancelWait(id) }
    }

    /// Queues a model change of ML mode (a device's training, a provider's upload) in the training queue,
    /// holding no thread while it waits for its turn: eight devices at their queue limit would otherwise
    /// hold every worker, and another device's single request (or a peer's `get-model`) would wait.
    private func queue(_ request: Message, from peer: PeerIdentity, on connection: ServedConnection) throws {
        let later = connection.answerLater(whenGone: {})
        if request.type == TrainRequest.type {
            let train = try request.decode(as: TrainRequest.self)
            try queue.train(words: train.words, device: RuntimeServer.shortSerial(peer), key: Hex.encode(peer.serialNumber), answer: later)
            return
        }
        let upload = try request.decode(as: PutModelRequest.self)
        let list = try Self.validationList(upload.validation)
        let (logger, queue, store) = (logger, queue, store)
        try queue.upload(upload.model, validation: list, answer: later) { stored in
            logger.info(
                "received model \(stored.shortID) (\(stored.size) bytes, round \(stored.model.round)) from \(peer.role) \(RuntimeServer.shortSerial(peer)); it is the current model\(Self.validationNote(list))")
            // Measured once its reception is logged, so the log reads in order.
            queue.validation.measure(stored, on: store.validation)
            return ModelAck(id: stored.id, size: UInt64(stored.size), validationWords: list.map { UInt64($0.words.count) }).frame
        }
    }

    /// The `error` frame a peer sent instead of a request (a client that refused the runtime's
    /// certificate says why, then closes), as what it is: the peer's error, logged and not answered.
    static func peerError(_ frame: Message, from peer: PeerIdentity?) -> ChannelError {
        let who = peer.map { "the \($0.role) \(RuntimeServer.shortSerial($0))" } ?? "the peer"
        let said: String
        do {
            let error = try ErrorMessage(frame)
            said = "\(error.code): \(error.message)"
        } catch {
            said = "(unreadable: \(error.message))"
        }
        // Kind `transport`: the server logs it and sends nothing back; the peer is closing.
        return ChannelError(kind: .transport, code: .internal, message: "\(who) sent an error instead of a request and closed: \(said)")
    }

    private func answer(_ request: Message, from peer: PeerIdentity, on connection: ServedConnection) throws(ChannelError) -> Message {
        switch (request.type, federation) {
        case (PutModelRequest.type, let federation?):
            let upload = try request.decode(as: PutModelRequest.self)
            let list = try Self.validationList(upload.validation)
            let stored = try federation.setInitial(upload.model, validation: list)
            logger.info(
                "received model \(stored.shortID) (\(stored.size) bytes) from \(peer.role) \(RuntimeServer.shortSerial(peer)); it is the global model of round 0\(Self.validationNote(list))")
            federation.validation.measure(stored, on: federation.validationList)
            return ModelAck(id: stored.id, size: UInt64(stored.size), validationWords: list.map { UInt64($0.words.count) }).frame
        case (GetModelRequest.type, let federation?):
            return try federation.currentGlobal().frame
        case (GetModelRequest.type, nil):
            guard let current = try store.newest() else { throw ChannelError.noModelYet }
            logger.debug("handing out model \(current.shortID) to \(peer.role) \(RuntimeServer.shortSerial(peer))")
            return ModelReply(blob: current, round: current.model.round).frame
        case (JoinRequest.type, let federation?):
            let join = try request.decode(as: JoinRequest.self)
            return try federation.join(round: join.round, from: Hex.encode(peer.serialNumber), platform: peer.platformInstance).frame
        case (UpdateRequest.type, let federation?):
            return try federation.update(request.decode(as: UpdateRequest.self), from: Hex.encode(peer.serialNumber), platform: peer.platformInstance).frame
        default:
            // RequestPermissions admits only the types above for each mode, and `queue` takes ML mode's changes.
            throw ChannelError(.unknownType, "the runtime does not serve \"\(request.type)\" in \(mode)")
        }
    }
}

extension Requests {
    /// The validation list of a `put-model`, checked: `bad-request` naming the first bad word, or a list
    /// of no words or too many. Nil if the request carries none.
    static func validationList(_ words: [String]?) throws(ChannelError) -> ValidationSet? {
        guard let words else { return nil }
        do {
            return try ValidationSet(words: words)
        } catch {
            throw ChannelError(.badRequest, "\"validation\" is refused: \(error)", cause: error)
        }
    }

    /// The end of the upload's log line: how many validation words were sealed with it, never which.
    static func validationNote(_ list: ValidationSet?) -> String {
        list.map { "; sealed with a validation list of \($0.words.count) words" } ?? ""
    }
}

/// The id of a device's wait for a global model, known once it is registered, for the connection's
/// close to cancel it.
private final class WaitID: Sendable {
    let value = Mutex<UInt64?>(nil)
}
