import ByteKit
public import Channel
import Foundation
public import Logging
import Policy
public import Protocol
import Synchronization
public import WordModel

/// Every change of the runtime's current model, one at a time on a worker thread of its own: device
/// training requests (each trains the model current at that moment and makes the result current) and
/// provider uploads.
///
/// The requests are taken in fair turns between devices (`FairScheduler`): one device's backlog delays
/// another's single request by at most the training running when it arrived. Each device may have at
/// most `maxQueuedPerDevice` requests unanswered (waiting, training or being anchored; the policy's
/// `limits`); one more is refused with `busy` and a `retry-after` at once, so that a device's flood
/// holds neither the queue nor more than that many of the server's worker threads.
///
/// Training follows the original: RMSprop with Keras' defaults, batch size 1, the words' samples in
/// order, the configured epochs (100 by default), the loss line every 10 epochs. Each request starts a
/// fresh optimizer: the blob carries no optimizer state, so a restarted runtime trains exactly as a
/// running one would.
public final class TrainingQueue: Sendable {
    /// The default epochs per request, as in the original.
    public static let defaultEpochs = 100
    /// The default limit on words in one request, so one device cannot hold the queue for long.
    public static let defaultMaxWords = PolicyLimits.defaultWordsPerTraining
    /// The default limit on one device's unanswered requests.
    public static let defaultMaxQueuedPerDevice = PolicyLimits.defaultQueuedTrainingsPerDevice
    /// The scheduler's key for provider uploads, which no device certificate's short id can take.
    private static let uploadKey = "upload"

    private let store: ModelStore
    private let epochs: Int
    private let maxWords: Int
    private let maxQueuedPerDevice: Int
    private let logger: Logger
    /// The models trained since the runtime started, for status and metrics.
    public let history: ModelHistory
    /// Internal for tests, which hold the queue with work of their own.
    let worker = FairScheduler(name: "training queue")
    /// Each device's unanswered requests, by key; a device with none has no entry.
    private let unanswered = Mutex([String: Int]())
    /// Seconds per training, a moving average, for the `retry-after` of a `busy` refusal.
    private let secondsPerTraining = Mutex(1.0)

    /// A queue updating `store`, training `epochs` per request on at most `maxWords` words, with at most
    /// `maxQueuedPerDevice` requests of one device unanswered.
    public init(
        store: ModelStore, epochs: Int = defaultEpochs, maxWords: Int = defaultMaxWords,
        maxQueuedPerDevice: Int = defaultMaxQueuedPerDevice, history: ModelHistory = ModelHistory(), logger: Logger
    ) {
        self.history = history
        self.store = store
        self.epochs = max(1, epochs)
        self.maxWords = max(1, maxWords)
        self.maxQueuedPerDevice = max(1, maxQueuedPerDevice)
        self.logger = logger
    }

    /// Trains the current model on `words` for device `device` (a short id for the log), makes the result
    /// the current model, seals it, and returns it. `key` (by default `device`) is whose turn and queue
    /// limit it counts under: the device's whole certificate serial.
    ///
    /// Throws `bad-request` naming a word that is not five alphabet symbols (before queueing), `busy` with
    /// a `retry-after` if the device already has its most requests unanswered, `no-model` if
    /// nothing was uploaded yet, `internal` if the result cannot be sealed (the model stays as it was).
    public func train(words: [String], device: String, key: String? = nil) throws(ChannelError) -> TrainedReply {
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
        let key = key ?? device
        try admit(key, device: device)
        defer { release(key) }
        let (reply, version) = try worker.perform(key: key) { [self] () throws(ChannelError) in
            try trainNow(set, wordCount: words.count, device: device)
        }
        // Outside the worker, so that the next request trains while this one is anchored (group commit).
        try awaitAnchored(version)
        return reply
    }

    /// Makes the model in `blob` the current one, once sealed; throws `invalid-model` naming the field.
    public func upload(_ blob: [UInt8]) throws(ChannelError) -> ModelBlob {
        let stored = try ModelBlob(received: blob)
        let version = try worker.perform(key: Self.uploadKey) { [self] () throws(ChannelError) in
            try replace(with: stored, what: "the uploaded model")
        }
        try awaitAnchored(version)
        return stored
    }

    /// Finishes the requests already queued, refuses new ones, and ends the worker thread.
    public func stop() {
        worker.stop()
    }

    /// Counts a request of `key` as unanswered, or refuses it with `busy` if `key` has its most.
    private func admit(_ key: String, device: String) throws(ChannelError) {
        let activeDevices = unanswered.withLock { counts -> Int? in
            let count = counts[key] ?? 0
            guard count < maxQueuedPerDevice else { return counts.count }
            counts[key] = count + 1
            return nil
        }
        if let activeDevices { throw busy(device, activeDevices: activeDevices) }
    }

    private func release(_ key: String) {
        unanswered.withLock { counts in
            let count = (counts[key] ?? 1) - 1
            counts[key] = count > 0 ? count : nil
        }
    }

    /// The refusal of one request too many: retry after about the time the round of turns takes, in
    /// which the device's oldest request finishes.
    private func busy(_ device: String, activeDevices: Int) -> ChannelError {
        let perTraining = secondsPerTraining.withLock { $0 }
        // Capped before the conversion: the product of a measured time and a count, never input.
        let seconds = max(1, Int(min(Double(ErrorMessage.maximumRetryAfterSeconds), perTraining * Double(max(1, activeDevices))).rounded(.up)))
        logger.debug("device \(device) is busy: \(maxQueuedPerDevice) requests unanswered; retry after \(seconds) s")
        return ChannelError(
            .busy,
            "device \(device) already has \(maxQueuedPerDevice) training request\(maxQueuedPerDevice == 1 ? "" : "s") unanswered "
                + "(the policy's limits.queued-trainings-per-device); retry after \(seconds) s",
            retryAfterSeconds: seconds)
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
        RuntimeMetrics.training(duration: elapsed)
        secondsPerTraining.withLock { $0 = 0.8 * $0 + 0.2 * elapsed.inSeconds }
        let next: UInt64
        do {
            next = try ModelBlob.nextRound(after: current.model.round)
        } catch {
            throw ChannelError(.badRequest, "cannot train the stored model further: \(error)", cause: error)
        }
        let trained = ModelBlob(model: Model(weights: trainer.weights, round: next, samples: UInt64(set.count)))
        let version = try replace(with: trained, what: "the trained model")
        let milliseconds = elapsed.inSeconds * 1e3
        history.append(
            ModelRecord(
                round: next, modelID: trained.shortID, updates: 1, samples: UInt64(set.count), rule: "train", milliseconds: milliseconds,
                meanLoss: Double(lastLoss)))
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
