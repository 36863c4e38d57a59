public import Channel
import Foundation
import WordModel

/// The original example's interactive device session, in ML mode:
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
/// Bad input gets a message and the same prompt again; an empty answer sends nothing; the end of the
/// input ends the session. If the runtime cannot train, the device says why and goes on predicting
/// with the model it has.
public struct DeviceSession {
    /// The first prompt of each round.
    public static let prefixPrompt = "Type characters: "
    /// The second prompt of each round.
    public static let answerPrompt = "Type correct answer: "

    private let device: Device
    private let console: any SessionConsole

    /// A session of `device` on `console`.
    public init(device: Device, console: any SessionConsole) {
        self.device = device
        self.console = console
    }

    /// Downloads the model, then runs rounds until the input ends. Throws only if the first download fails.
    public func run() throws(ChannelError) {
        let model = try device.download()
        console.write(
            "downloaded model \(model.shortID) (\(model.size) bytes, round \(model.model.round)) from the runtime at \(device.runtime.endpoint)")
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
        do {
            let (model, reply) = try device.train(words: [word])
            console.write(
                "received model \(model.shortID) (trained \(reply.epochs) epochs on 1 word, loss \(String(format: "%.3f", reply.loss)))")
        } catch {
            let current = device.model.map { " model \($0.shortID)" } ?? ""
            console.write("the runtime did not train on \"\(word)\": \(error); predictions still use\(current)")
        }
    }
}
