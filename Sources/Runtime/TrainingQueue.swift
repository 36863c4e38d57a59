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

    private let store: any ModelKeeper
    private let epochs: Int
    private let maxWords: Int
    private let maxQueuedPerDevice: Int
    private let logger: Logger
    /// The models trained (and uploaded) since the runtime started, for status and metrics.
    public let history: ModelHistory
    /// Measures each new model on the provider's validation list, after the fact.
    public let validation: ModelValidation
    /// Internal for tests, which hold the queue with work of their own.
    let worker = FairScheduler(name: "training queue")
    /// Each device's unanswered requests, by key; a device with none has no entry.
    private let unanswered = Mutex([String: Int]())
    /// Seconds per training, a moving average, for the `retry-after` of a `busy` refusal.
    private let secondsPerTraining = Mutex(1.0)

    /// A queue updating `store`, training `epochs` per request on at most `maxWords` words, with at most
    /// `maxQueuedPerDevice` requests of one device unanswered.
    public init(
        store: any ModelKeeper, epochs: Int = defaultEpochs, maxWords: Int = defaultMaxWords,
        maxQueuedPerDevice: Int = defaultMaxQueuedPerDevice, history: ModelHistory = ModelHistory(), logger: Logger
    ) {
        self.history = history
        validation = ModelValidation(history: history, logger: logger)
        self.store = store
        self.epochs = max(1, epochs)
        self.maxWords = max(1, maxWords)
        self.maxQueuedPerDevice = max(1, maxQueuedPerDevice)
        self.logger = logger
    }

    /// Trains the current model on `words` for device `device` (a short id for the log), makes the result
    /// the current model, seals it, and sends it on `answer` once anchored. `key` (by default `device`) is
    /// whose turn and queue limit it counts under: the device's whole certificate serial.
    ///
    /// Returns at once: the request waits for its turn in the queue, holding no thread, and only the
    /// wait for its anchoring takes one of the server's workers. Throws `bad-request` naming a word that is
    /// not five alphabet symbols and `busy` with a `retry-after` if the device already has its most
    /// requests unanswered (both before queueing); `answer` fails with `no-model` if nothing was uploaded
    /// yet, `internal` if the result cannot be sealed (the model stays as it was).
    public func train(words: [String], device: String, key: String? = nil, answer: DeferredAnswer) throws(ChannelError) {
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
        do {
            try enqueue(key: key, answer: answer, { [self] () throws(ChannelError) in
                try trainNow(set, wordCount: words.count, device: device)
            }, reply: { $0.frame }, whenAnswered: { [self] in release(key) })
        } catch {
            release(key)
            throw error
        }
    }

    /// Makes the model in `blob` the current one, once sealed with the validation list `validation` (nil:
    /// the one held so far), records it in the history, and sends on `answer` what `reply` makes of it once
    /// anchored; throws `invalid-model` naming the field. Returns at once, as `train` does. `reply` measures
    /// it (`validation`) once it has said so, so the log reads in order.
    public func upload(
        _ blob: [UInt8], validation list: ValidationSet? = nil, answer: DeferredAnswer, reply: @escaping @Sendable (ModelBlob) -> Message
    ) throws(ChannelError) {
        let stored = try ModelBlob(received: blob)
        try enqueue(key: Self.uploadKey, answer: answer, { [self] () throws(ChannelError) in
            let (_, version) = try change("the uploaded model") { _, _ in ModelChange(value: (), model: stored, validation: list) }
            history.append(
                ModelRecord(
                    round: stored.model.round, modelID: stored.shortID, updates: 0, samples: stored.model.samples, rule: "upload",
                    milliseconds: 0))
            return (stored, version)
        }, reply: reply)
    }

    /// Runs `work` in `key`'s turn on the queue's thread; the wait for the anchoring of the version it
    /// wrote and the answer `reply` makes happen on a server worker, so that the next request trains
    /// meanwhile (group commit). `whenAnswered` runs however the request ends.
    private func enqueue<Value: Sendable>(
        key: String, answer: DeferredAnswer, _ work: @escaping @Sendable () throws(ChannelError) -> (Value, UInt64?),
        reply: @escaping @Sendable (Value) -> Message, whenAnswered: @escaping @Sendable () -> Void = {}
    ) throws(ChannelError) {
        try worker.submit(key: key, work) { [self] result in
            answer.sendOnWorker { [self] in
                defer { whenAnswered() }
                let (value, version) = try result.get()
                try awaitAnchored(version)
                return reply(value)
            }
        }
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
        try store.awaitAcknowledged(version)
    }

    private func trainNow(_ set: TrainingSet, wordCount: Int, device: String) throws(ChannelError) -> (TrainedReply, UInt64?) {
        let clock = ContinuousClock()
        // Trained on the newest model under the store's change, so that replicas sharing the model train one at a time.
        let (done, version) = try change("the trained model") { (current, _) throws(ChannelError) -> ModelChange<(Duration, Float)> in
            guard let current else {
                throw ChannelError.noModelYet
            }
            logger.info("---- training on \(wordCount) word\(wordCount == 1 ? "" : "s") from device \(device) ----")
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
            return ModelChange(value: (elapsed, lastLoss), model: trained)
        }
        let (elapsed, lastLoss) = done.value
        let trained = done.model
        RuntimeMetrics.training(duration: elapsed)
        secondsPerTraining.withLock { $0 = 0.8 * $0 + 0.2 * elapsed.inSeconds }
        let milliseconds = elapsed.inSeconds * 1e3
        history.append(
            ModelRecord(
                round: trained.model.round, modelID: trained.shortID, updates: 1, samples: UInt64(set.count), rule: "train",
                milliseconds: milliseconds, meanLoss: Double(lastLoss)))
        logger.info("---- training done (\(epochs) epochs, \(String(format: "%.1f", milliseconds)) ms): model \(trained.shortID) ----")
        validation.measure(trained, on: store.validation)
        return (TrainedReply(blob: trained, epochs: UInt64(epochs), loss: Double(lastLoss)), version)
    }

    /// `store.change(what, make)`, logging a failure to store what `make` made.
    private func change<Value>(
        _ what: String, _ make: (ModelBlob?, ValidationSet?) throws(ChannelError) -> ModelChange<Value>
    ) throws(ChannelError) -> (value: ModelChange<Value>, ticket: UInt64?) {
        var made = false
        do {
            return try store.change(what) { (current, list) throws(ChannelError) -> ModelChange<ModelChange<Value>> in
                let change = try make(current, list)
                made = true
                return ModelChange(value: change, model: change.model, validation: change.validation)
            }
        } catch {
            if made { logger.error("\(error.message)") }
            throw error
        }
    }
}
