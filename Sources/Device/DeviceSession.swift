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
        let model = try device.download()
        console.write(
            "downloaded model \(model.shortID) (\(model.size) bytes, round \(device.round)) from the runtime at \(device.runtime.endpoint)")
        while let prefix = console.read(prompt: Self.prefixPrompt) {
            guard let prediction = predict(prefix) else { continue }
            console.write("Prediction: \(prediction)")
            guard let word = answer() else { return }
            if !word.isEmpty { train(word) }
        }
    }

    /// The completion of `prefix`, or nil after saying what is wrong with it.
    private func predict(_ prefix: String) -> String? {
        guard let model = device.model else { return nil }
        do {
            return try model.complete(prefix)
        } catch {
            console.write("\(error)")
            return nil
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
                _ = try Alphabet.indices(of: word, as: .word)
                return word
            } catch {
                console.write("\(error) (or nothing, to skip)")
            }
        }
        return nil
    }

    private func train(_ word: String) {
        switch mode {
        case .ml: trainOnRuntime(word)
        case .fl(let epochs): trainLocally(word, epochs: epochs)
        }
    }

    private func trainOnRuntime(_ word: String) {
        do {
            let (model, reply) = try device.train(words: [word])
            console.write(
                "received model \(model.shortID) (trained \(reply.epochs) epochs on 1 word, loss \(String(format: "%.3f", reply.loss)))")
        } catch {
            let current = device.model.map { " model \($0.shortID)" } ?? ""
            console.write("the runtime did not train on \"\(word)\": \(error); predictions still use\(current)")
        }
    }

    private func trainLocally(_ word: String, epochs: Int) {
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
                return
            }
            console.write("sent update \(update.shortID) for round \(update.round) (\(update.samples) samples); the runtime acknowledged it")
            console.write("waiting for the global model of round \(update.round + 1) ...")
            let global = try device.awaitGlobal(round: update.round + 1)
            console.write("received global model \(global.shortID) of round \(device.round) (\(global.model.samples) samples)")
        } catch {
            let current = device.model.map { " model \($0.shortID)" } ?? ""
            console.write("the round did not complete for \"\(word)\": \(error); predictions still use\(current)")
        }
    }
}
