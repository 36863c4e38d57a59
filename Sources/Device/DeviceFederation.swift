public import Channel
import Foundation
public import Protocol
public import WordModel

/// The device's side of FL mode: train the global model locally on the device's own words (they never
/// leave the device), upload the result as the round's update, and wait for the next global model.
extension Device {
    /// Epochs of local training unless told otherwise: 100, as the original device trained.
    public static let defaultLocalEpochs = 100

    /// Trains the model it holds (the global model of `round`) on `words`: RMSprop with Keras' defaults,
    /// batch size 1, `epochs` passes in word order, a fresh optimizer, as the original device did.
    /// `onEpoch` hears every epoch. Throws `no-model` before a download and `bad-request` naming a word
    /// that is not five alphabet symbols.
    public func trainLocally(
        words: [String], epochs: Int = defaultLocalEpochs, onEpoch: (EpochReport) -> Void = { _ in }
    ) throws(ChannelError) -> LocalUpdate {
        guard let current = model else {
            throw ChannelError(.noModel, "the device has no model to train: download the global model first")
        }
        do {
            let set = try TrainingSet(words: words)
            let trainer = try Trainer(weights: current.model.weights)
            var loss: Float = 0
            try trainer.train(set, epochs: epochs) { report in
                loss = report.meanLoss
                onEpoch(report)
            }
            let trained = Model(weights: trainer.weights, round: round, samples: UInt64(set.count))
            return LocalUpdate(round: round, model: trained, epochs: epochs, loss: loss)
        } catch {
            throw ChannelError(.badRequest, error.description, cause: error)
        }
    }

    /// How long a device keeps reconnecting to a runtime that went away (a restart) before it gives up.
    public static let defaultReconnectTime = Duration.seconds(30)

    /// Uploads `update` as this device's update of its round, with its last local loss (for the round's
    /// mean loss), and returns the runtime's acknowledgement. If the connection breaks, it sends the same
    /// update again for up to `reconnecting`: the runtime acknowledges an update it already stored again.
    @discardableResult
    public func upload(_ update: LocalUpdate, reconnecting: Duration = defaultReconnectTime) throws(ChannelError) -> UpdateAck {
        // The runtime refuses a loss that is not a finite number, 0 or more: such a loss is not sent.
        let loss = update.loss.isFinite && update.loss >= 0 ? Double(update.loss) : nil
        return try retrying(for: reconnecting) { () throws(ChannelError) in
            try runtime.update(round: update.round, model: update.blob, samples: update.samples, loss: loss)
        }
    }

    /// What the runtime made of an update: acknowledged, or too late for its round.
    public enum Submission: Sendable {
        /// The runtime stored and counted it.
        case acknowledged(UpdateAck)
        /// Its round closed (or was closing) before it arrived (`wrong-round`): not an error with more
        /// devices than the round needs. The device takes part in the next round with its global model.
        case roundClosed(reason: String)
        /// Under `fl.privacy`, Poisson sampling left this device out of the round (`not-sampled`): it takes
        /// part in none of it and awaits the next round's global model.
        case notSampled(reason: String)
    }

    /// Uploads `update` as `upload(_:reconnecting:)` does, but a `wrong-round` refusal (its round closed
    /// before the update arrived) is an answer, not a failure: the caller then awaits the next global
    /// model (`awaitGlobal(round: update.round + 1)`) and trains on that.
    public func submit(_ update: LocalUpdate, reconnecting: Duration = defaultReconnectTime) throws(ChannelError) -> Submission {
        do {
            return .acknowledged(try upload(update, reconnecting: reconnecting))
        } catch where error.kind == .remote && error.code == .wrongRound {
            return .roundClosed(reason: error.message)
        } catch where error.kind == .remote && error.code == .notSampled {
            return .notSampled(reason: error.message)
        }
    }

    /// Asks the runtime, before training, whether this device takes part in its open round: true if it
    /// does (also with a runtime that has no `join`), false if sampling left it out (`not-sampled`, under
    /// fl.privacy); the caller then awaits the next round's global model.
    public func join() throws(ChannelError) -> Bool {
        let round = self.round
        do {
            _ = try retrying(for: Self.defaultReconnectTime) { () throws(ChannelError) in try runtime.join(round: round) }
            return true
        } catch where error.kind == .remote && error.code == .notSampled {
            return false
        } catch where error.kind == .remote && [.unknownType, .wrongRound].contains(error.code) {
            // No join to ask (an older runtime), or the round moved on: the update's answer says what counts.
            return true
        }
    }

    /// Whether the runtime serves FL mode, asked with the cheapest FL request: the wait for round 0's
    /// global model, which an FL runtime answers at once (with the model, or `no-model` before the
    /// provider sent one) and an ML runtime refuses as `unknown-type`. Lets a command fail before any
    /// training when it talks to a runtime of the other mode.
    public func servesFederation() throws(ChannelError) -> Bool {
        do {
            _ = try runtime.awaitGlobal(round: 0, timeout: .seconds(30))
            return true
        } catch where error.kind == .remote && error.code == .noModel {
            return true
        } catch where error.kind == .remote && error.code == .unknownType {
            return false
        }
    }

    /// Waits for the global model of round `round` (or a later one), and predicts with it from now on.
    /// If the connection breaks (the runtime restarts), it waits again for up to `reconnecting`.
    @discardableResult
    public func awaitGlobal(round: UInt64, reconnecting: Duration = defaultReconnectTime) throws(ChannelError) -> DeviceModel {
        let reply = try retrying(for: reconnecting) { () throws(ChannelError) in try runtime.awaitGlobal(round: round) }
        return adopt(reply)
    }

    /// Runs `body` again after a broken or refused connection (not after an answer of the runtime)
    /// until `limit` has passed since the first failure, a second apart.
    private func retrying<Value>(for limit: Duration, _ body: () throws(ChannelError) -> Value) throws(ChannelError) -> Value {
        var giveUp: ContinuousClock.Instant?
        while true {
            do {
                return try body()
            } catch where [.closed, .transport].contains(error.kind) {
                let deadline = giveUp ?? ContinuousClock.now + limit
                giveUp = deadline
                guard ContinuousClock.now < deadline else { throw error }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}
