import ByteKit
public import Channel
import Foundation
public import Logging
public import Protocol
public import WordModel

/// Every change of the runtime's current model, one at a time on a worker thread of its own: device
/// training requests (each trains the model current at that moment and makes the result current) and
/// provider uploads.
///
/// Training follows the original: RMSprop with Keras' defaults, batch size 1, the words' samples in
/// order, the configured epochs (100 by default), the loss line every 10 epochs. Each request starts a
/// fresh optimizer: the blob carries no optimizer state, so a restarted runtime trains exactly as a
/// running one would.
public final class TrainingQueue: Sendable {
    /// The default epochs per request, as in the original.
    public static let defaultEpochs = 100
    /// The default limit on words in one request, so one device cannot hold the queue for long.
    public static let defaultMaxWords = 1000

    private let store: ModelStore
    private let epochs: Int
    private let maxWords: Int
    private let logger: Logger
    private let worker = SerialWorker(name: "training queue")

    /// A queue updating `store`, training `epochs` per request on at most `maxWords` words.
    public init(store: ModelStore, epochs: Int = defaultEpochs, maxWords: Int = defaultMaxWords, logger: Logger) {
        self.store = store
        self.epochs = max(1, epochs)
        self.maxWords = max(1, maxWords)
        self.logger = logger
    }

    /// Trains the current model on `words` for device `device` (a short id for the log), makes the result
    /// the current model, seals it, and returns it.
    ///
    /// Throws `bad-request` naming a word that is not five alphabet symbols (before queueing), `no-model`
    /// if nothing was uploaded yet, `internal` if the result cannot be sealed (the model stays as it was).
    public func train(words: [String], device: String) throws(ChannelError) -> TrainedReply {
        guard !words.isEmpty else { throw ChannelError(.badRequest, "\"words\" is empty: send at least one word to train on") }
        guard words.count <= maxWords else {
            throw ChannelError(.badRequest, "\"words\" has \(words.count) words, at most \(maxWords) are served per request")
        }
        let set: TrainingSet
        do {
            set = try TrainingSet(words: words)
        } catch {
            throw ChannelError(.badRequest, "\(error)", cause: error)
        }
        let (reply, version) = try worker.perform { [self] () throws(ChannelError) in
            try trainNow(set, wordCount: words.count, device: device)
        }
        // Outside the worker, so that the next request trains while this one is anchored (group commit).
        try awaitAnchored(version)
        return reply
    }

    /// Makes the model in `blob` the current one, once sealed; throws `invalid-model` naming the field.
    public func upload(_ blob: [UInt8]) throws(ChannelError) -> ModelBlob {
        let stored = try ModelBlob(received: blob)
        let version = try worker.perform { [self] () throws(ChannelError) in
            try replace(with: stored, what: "the uploaded model")
        }
        try awaitAnchored(version)
        return stored
    }

    /// Finishes the requests already queued, refuses new ones, and ends the worker thread.
    public func stop() {
        worker.stop()
    }

    private func awaitAnchored(_ version: UInt64?) throws(ChannelError) {
        guard let version, let state = store.state else { return }
        try state.awaitAnchored(version)
    }

    private func trainNow(_ set: TrainingSet, wordCount: Int, device: String) throws(ChannelError) -> (TrainedReply, UInt64?) {
        guard let current = store.current else {
            throw ChannelError.noModelYet
        }
        logger.info("---- training on \(wordCount) word\(wordCount == 1 ? "" : "s") from device \(device) ----")
        let clock = ContinuousClock()
        let start = clock.now
        var lastLoss: Float = 0
        let trainer: Trainer
        do {
            trainer = try Trainer(weights: current.model.weights)
            try trainer.train(set, epochs: epochs) { report in
                lastLoss = report.meanLoss
                if let line = report.lossLine { logger.info("\(line)") }
            }
        } catch {
            throw ChannelError(.internal, "training failed: \(error)", cause: error)
        }
        let elapsed = clock.now - start
        let next: UInt64
        do {
            next = try ModelBlob.nextRound(after: current.model.round)
        } catch {
            throw ChannelError(.badRequest, "cannot train the stored model further: \(error)", cause: error)
        }
        let trained = ModelBlob(model: Model(weights: trainer.weights, round: next, samples: UInt64(set.count)))
        let version = try replace(with: trained, what: "the trained model")
        let milliseconds = elapsed.inSeconds * 1e3
        logger.info("---- training done (\(epochs) epochs, \(String(format: "%.1f", milliseconds)) ms): model \(trained.shortID) ----")
        return (TrainedReply(blob: trained, epochs: UInt64(epochs), loss: Double(lastLoss)), version)
    }

    private func replace(with stored: ModelBlob, what: String) throws(ChannelError) -> UInt64? {
        do {
            return try store.replace(with: stored)
        } catch {
            logger.error("could not store \(what): \(error.message)")
            throw ChannelError(.internal, "the runtime could not store \(what): \(error.message)", cause: error)
        }
    }
}
