import ByteKit
import Channel
import Logging
import Protocol

/// How the runtime answers each request, once the peer's role may connect (docs/protocol.md, "Runtime").
struct Requests: Sendable {
    let mode: RuntimeMode
    let store: ModelStore
    let queue: TrainingQueue
    let federation: Federation?
    let logger: Logger

    /// Answers `request` from `peer` on `connection`. In FL mode a counted update may close its round:
    /// that happens after the answer is sent, also if sending it failed, and also if the answer was
    /// `unavailable` (the update counts, only its acknowledgement waits for the anchor).
    func serve(_ request: Message, from peer: PeerIdentity?, on connection: FramedConnection) throws {
        guard let peer else { throw ChannelError(.notAuthorized, "the runtime serves only peers with an admission certificate") }
        try RequestPermissions.check(role: peer.role, type: request.type, mode: mode)
        let sent = Result { () throws(ChannelError) in try connection.send(try self.answer(request, from: peer, on: connection)) }
        if request.type == UpdateRequest.type { federation?.closeIfDue() }
        try sent.get()
    }

    private func answer(_ request: Message, from peer: PeerIdentity, on connection: FramedConnection) throws(ChannelError) -> Message {
        switch (request.type, federation) {
        case (PutModelRequest.type, let federation?):
            let upload = try request.decode(as: PutModelRequest.self)
            let stored = try federation.setInitial(upload.model)
            logger.info(
                "received model \(stored.shortID) (\(stored.size) bytes) from \(peer.role) \(RuntimeServer.shortSerial(peer)); it is the global model of round 0")
            return ModelAck(id: stored.id, size: UInt64(stored.size)).frame
        case (PutModelRequest.type, nil):
            let upload = try request.decode(as: PutModelRequest.self)
            let stored = try queue.upload(upload.model)
            logger.info(
                "received model \(stored.shortID) (\(stored.size) bytes, round \(stored.model.round)) from \(peer.role) \(RuntimeServer.shortSerial(peer)); it is the current model")
            return ModelAck(id: stored.id, size: UInt64(stored.size)).frame
        case (GetModelRequest.type, let federation?):
            return try federation.currentGlobal().frame
        case (GetModelRequest.type, nil):
            guard let current = store.current else { throw ChannelError.noModelYet }
            logger.debug("handing out model \(current.shortID) to \(peer.role) \(RuntimeServer.shortSerial(peer))")
            return ModelReply(blob: current, round: current.model.round).frame
        case (TrainRequest.type, _):
            let train = try request.decode(as: TrainRequest.self)
            return try queue.train(words: train.words, device: RuntimeServer.shortSerial(peer)).frame
        case (UpdateRequest.type, let federation?):
            return try federation.update(request.decode(as: UpdateRequest.self), from: Hex.encode(peer.serialNumber)).frame
        case (AwaitGlobalRequest.type, let federation?):
            let wait = try request.decode(as: AwaitGlobalRequest.self)
            return try federation.awaitGlobal(round: wait.round) { connection.hasPendingInput }.frame
        default:
            // RequestPermissions admits only the types above for each mode.
            throw ChannelError(.unknownType, "the runtime does not serve \"\(request.type)\" in \(mode)")
        }
    }
}
