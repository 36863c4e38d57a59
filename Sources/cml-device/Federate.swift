import ArgumentParser
import ByteKit
import Channel
import CommandSupport
import Device
import WordModel

/// `cml-device fl`: federated rounds for scripts: train locally on a word file, upload, wait, repeat.
struct Federate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Take part in federated rounds: train locally on a word file, upload the update, wait for the global model.",
        discussion: """
            Downloads the global model of the open round, then for each round: trains it here on the words of \
            --words (RMSprop, batch size 1, the loss every 10 epochs), uploads the result with its sample count, \
            and waits for the global model of the next round, which the runtime publishes once the round closes. \
            The words never leave the device. With --predict, completes the prefixes with the last global model. \
            Needs the state of `cml-device attest`.
            """)

    @OptionGroup var connection: RuntimeOptions

    @Option(help: ArgumentHelp("The words to train on, one five-letter word per line.", valueName: "FILE"))
    var words: String

    @Option(help: "Epochs of local training in each round.")
    var epochs = Device.defaultLocalEpochs

    @Option(help: "Rounds to take part in.")
    var rounds = 1

    @Option(help: ArgumentHelp("A three-letter prefix to complete with the last global model (repeatable).", valueName: "PREFIX"))
    var predict: [String] = []

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
        if !predict.isEmpty { try checkSymbols(predict, as: .prefix) }
    }

    func run() throws {
        let lock = try StateFolderLock.forCommand(folder: connection.state)
        defer { withExtendedLifetime(lock) {} }
        let list: [String]
        do {
            list = try TrainingSet.words(inFile: words)
        } catch {
            throw CommandFailure(error.description)
        }
        let device = try connection.device()
        defer { device.runtime.close() }
        do {
            let model = try device.download()
            StandardOutput.line(
                "downloaded global model \(model.shortID) (\(model.size) bytes, round \(device.round)) from the runtime at \(device.runtime.endpoint)")
            for _ in 0..<rounds { try takePart(device, words: list) }
            for prefix in predict {
                StandardOutput.line("\(prefix) -> \(try device.model?.complete(prefix) ?? prefix)")
            }
        } catch let error as ChannelError {
            throw CommandFailure(error.description)
        }
    }

    /// One round: train, upload, wait.
    private func takePart(_ device: Device, words: [String]) throws {
        let round = device.round
        let update = try device.trainLocally(words: words, epochs: epochs) { report in
            if let line = report.lossLine { StandardOutput.line(line) }
        }
        StandardOutput.line(
            "round \(round): trained locally on \(words.count) word\(words.count == 1 ? "" : "s") (\(update.samples) samples), "
                + "\(epochs) epochs: loss \(String(format: "%.4f", update.loss))")
        try device.upload(update)
        StandardOutput.line("round \(round): sent update \(update.shortID) (\(update.samples) samples); the runtime acknowledged it")
        let global = try device.awaitGlobal(round: round + 1)
        StandardOutput.line("round \(device.round): received global model \(global.shortID) (\(global.model.samples) samples)")
    }
}
