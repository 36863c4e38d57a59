public import Channel
import Foundation
import WordModel

/// The original example's interactive device session. In ML mode the runtime trains on the answer:
///
/// ```
/// Type characters: abo
/// Prediction: abort
/// Type correct answer: about
/// received model 71d0e5b2 (trained 100 epochs on 1 word, loss 0.000)
/// Type characters: abo
/// Prediction: about
/// ```
///
/// In FL mode the device trains on it locally (printing the original's epoch lines), uploads the result
/// as its update of the round, waits for the round's global model and predicts with that:
///
/// ```
/// Type correct answer: about
/// epoch: 0, loss: 0.065,0.075
/// ...
/// sent update 3f0c12aa for round 0 (2 samples); the runtime acknowledged it
/// waiting for the global model of round 1 ...
/// received global model 9b1e0d44 of round 1 (4 samples)
/// ```
///
/// Bad input gets a message and the same prompt again; an empty answer sends nothing; the end of the
/// input ends the session. If the runtime cannot train or take the update, the device says why and
/// goes on predicting with the model it has.
public struct DeviceSession {
    /// Where the answer is trained on.
    public enum Mode: Sendable, Equatable {
        /// On the runtime (ML mode).
        case ml
        /// On the device, for `epochs` epochs, then aggregated by the runtime (FL mode).
        case fl(epochs: Int)
    }

    /// The first prompt of each round.
    public static let prefixPrompt = "Type characters: "
    /// The second prompt of each round.
    public static let answerPrompt = "Type correct answer: "

    private let device: Device
    private let console: any SessionConsole
    private let mode: Mode

    /// A session of `device` on `console`, training in `mode`.
    public init(device: Device, console: any SessionConsole, mode: Mode = .ml) {
        self.device = device
        self.console = console
        self.mode = mode
    }

    /// Downloads the model, then runs rounds until the input ends. Throws only if the first download fails.
    public func run() throws(ChannelError) {
        try start()
        while let prefix = console.read(prompt: Self.prefixPrompt) {
            let prediction: String
            do {
                prediction = try predict(prefix)
            } catch {
                console.write(error.message)
                continue
            }
            console.write("Prediction: \(prediction)")
            guard let word = answer() else { return }
            if !word.isEmpty { train(word) }
        }
    }

    /// Downloads the runtime's model and says so on the console: the session's first step, which
    /// `run` and the keyboard page (DeviceConsole) both take.
    public func start() throws(ChannelError) {
        let model = try device.download()
        console.write(
            "downloaded model \(model.shortID) (\(model.size) bytes, round \(device.round)) from the runtime at \(device.runtime.endpoint)")
    }

    /// The completion of `prefix` by the device's model. Throws `bad-request` saying what is wrong with
    /// the prefix (its length or a symbol outside the alphabet), `no-model` before `start`.
    public func predict(_ prefix: String) throws(ChannelError) -> String {
        guard let model = device.model else {
            throw ChannelError(.noModel, "the device has no model yet: it downloads one from the runtime first")
        }
        do {
            return try model.complete(prefix)
        } catch {
            throw ChannelError(.badRequest, error.description, cause: error)
        }
    }

    /// Checks that `prefix` is one to complete: three alphabet symbols. Throws `bad-request` saying
    /// what is wrong with it.
    public static func checkPrefix(_ prefix: String) throws(ChannelError) {
        try check(prefix, as: .prefix)
    }

    /// Checks that `word` is an answer to train on: five alphabet symbols. Throws `bad-request` saying
    /// what is wrong with it.
    public static func checkAnswer(_ word: String) throws(ChannelError) {
        try check(word, as: .word)
    }

    private static func check(_ text: String, as kind: TextKind) throws(ChannelError) {
        do {
            _ = try Alphabet.indices(of: text, as: kind)
        } catch {
            throw ChannelError(.badRequest, error.description, cause: error)
        }
    }

    /// The correct word typed, "" when skipped, nil at the end of the input.
    private func answer() -> String? {
        while let word = console.read(prompt: Self.answerPrompt) {
            if word.isEmpty {
                console.write("no answer: nothing sent to the runtime")
                return word
            }
            do {
                try Self.checkAnswer(word)
                return word
            } catch {
                console.write("\(error.message) (or nothing, to skip)")
            }
        }
        return nil
    }

    /// What training on an answer came to.
    public enum Outcome {
        /// The device predicts with `model` from now on: the runtime's trained model (ML) or the next
        /// round's global model (FL).
        case newModel(DeviceModel)
        /// The device still predicts with the model it had; `reason` is the line the console was told,
        /// `error` what failed (its kind says whether the device refused the runtime).
        case unchanged(reason: String, error: ChannelError)
    }

    /// Trains on `word` (checked with `checkAnswer`) as the mode says, telling the console what happens:
    /// in ML mode the runtime trains on it; in FL mode the device trains on it, uploads the result and
    /// waits for the round's global model.
    @discardableResult
    public func train(_ word: String) -> Outcome {
        switch mode {
        case .ml: trainOnRuntime(word)
        case .fl(let epochs): trainLocally(word, epochs: epochs)
        }
    }

    private func trainOnRuntime(_ word: String) -> Outcome {
        do {
            let (model, reply) = try device.train(words: [word])
            console.write(
                "received model \(model.shortID) (trained \(reply.epochs) epochs on 1 word, loss \(String(format: "%.3f", reply.loss)))")
            return .newModel(model)
        } catch {
            let current = device.model.map { " model \($0.shortID)" } ?? ""
            return unchanged("the runtime did not train on \"\(word)\": \(error); predictions still use\(current)", error)
        }
    }

    private func trainLocally(_ word: String, epochs: Int) -> Outcome {
        do {
            let update = try device.trainLocally(words: [word], epochs: epochs) { report in
                if let line = report.lossLine { console.write(line) }
            }
            do {
                try device.upload(update)
            } catch where error.kind == .remote && error.code == .notSampled {
                // Under fl.privacy the runtime left this device out of the round: it joins the next one.
                console.write("the runtime did not sample this device for round \(update.round) (not-sampled); waiting for the global model of round \(update.round + 1) ...")
                let global = try device.awaitGlobal(round: update.round + 1)
                console.write("received global model \(global.shortID) of round \(device.round) (\(global.model.samples) samples)")
                return .newModel(global)
            }
            console.write("sent update \(update.shortID) for round \(update.round) (\(update.samples) samples); the runtime acknowledged it")
            console.write("waiting for the global model of round \(update.round + 1) ...")
            let global = try device.awaitGlobal(round: update.round + 1)
            console.write("received global model \(global.shortID) of round \(device.round) (\(global.model.samples) samples)")
            return .newModel(global)
        } catch {
            let current = device.model.map { " model \($0.shortID)" } ?? ""
            return unchanged("the round did not complete for \"\(word)\": \(error); predictions still use\(current)", error)
        }
    }

    /// Tells the console `reason` and returns it, with the `error` behind it, as the outcome.
    private func unchanged(_ reason: String, _ error: ChannelError) -> Outcome {
        console.write(reason)
        return .unchanged(reason: reason, error: error)
    }
}
