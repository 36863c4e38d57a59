import ArgumentParser
import Admission
import ByteKit
import Channel
import CommandSupport
import Device
import Logging
import Policy
import RoleCommands
import WordModel

/// `cml-device fl`: federated rounds for scripts: train locally on a word file, upload, wait, repeat.
struct Federate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Take part in federated rounds: train locally on a word file, upload the update, wait for the global model.",
        discussion: """
            Downloads the global model of the open round, then for each round: trains it here on the words of \
            --words (RMSprop, batch size 1, the loss every 10 epochs), uploads the result with its sample count \
            and its last epoch's loss (the runtime logs each round's mean loss), and waits for the global model of the next round, which the runtime publishes once the round closes. \
            The words never leave the device. With more devices than a round needs, a device whose update \
            arrives after its round closed says so, downloads the new global model and takes part in the next \
            round; --rounds counts the rounds it completed. Under a policy with fl.privacy, a device the runtime \
            did not sample for a round (not-sampled) waits for the next one, and once the federation's privacy \
            budget is spent (budget-exhausted) the device stops with the last global model; --max-epsilon E \
            refuses, before sending anything, to take part under a policy that allows more than epsilon E. With \
            --out, writes the last global model; with --predict, completes the prefixes with it. Progress goes to \
            standard error as log lines (--log-format). \
            Needs the state of `cml-device attest`.
            """)

    @OptionGroup var connection: RuntimeOptions

    @OptionGroup var renewal: RenewalOptions

    @Option(help: ArgumentHelp("The words to train on, one five-letter word per line.", valueName: "FILE"))
    var words: String

    @Option(help: "Epochs of local training in each round.")
    var epochs = Device.defaultLocalEpochs

    @Option(help: "Rounds to take part in.")
    var rounds = 1

    @Option(help: ArgumentHelp("A three-letter prefix to complete with the last global model (repeatable).", valueName: "PREFIX"))
    var predict: [String] = []

    @OptionGroup var logging: LoggingOptions

    @Option(
        help: ArgumentHelp(
            "Take part only if the signed policy this device was admitted under keeps the federation within this epsilon (fl.privacy.max-epsilon).",
            valueName: "E"))
    var maxEpsilon: Double?

    @Option(help: ArgumentHelp("Also write the last global model here, the blob as received (replaced atomically).", valueName: "FILE"))
    var out: String?

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
        if !predict.isEmpty { try checkSymbols(predict, as: .prefix) }
        if let out { try OutputFile.checkFolder(of: out, option: "--out") }
        if let maxEpsilon, !(maxEpsilon > 0 && maxEpsilon.isFinite) {
            throw ValidationError("--max-epsilon must be a finite number above 0, got \(maxEpsilon)")
        }
    }

    /// Refuses a policy that allows more privacy loss than `--max-epsilon`, or that promises no bound.
    private func checkPrivacy(of policy: PolicyDocument) throws {
        guard let maxEpsilon else { return }
        guard let privacy = policy.federated?.privacy else {
            throw CommandFailure(
                "the policy this device was admitted under sets no fl.privacy, so nothing bounds the privacy loss; --max-epsilon \(maxEpsilon) refuses to take part")
        }
        guard privacy.maxEpsilon <= maxEpsilon else {
            throw CommandFailure(
                "the policy this device was admitted under allows epsilon \(privacy.maxEpsilon) (fl.privacy.max-epsilon, at delta \(privacy.delta)), "
                    + "more than --max-epsilon \(maxEpsilon); this device takes no part")
        }
        StandardError.line(
            "the policy keeps the federation within epsilon \(privacy.maxEpsilon) at delta \(privacy.delta), within --max-epsilon \(maxEpsilon)")
    }

    /// Where the progress of the rounds goes: standard error, in the format of `--log-format`.
    private var logger: Logger { Logger(label: "device") }

    func run() throws {
        logging.bootstrap()
        let lock = try StateFolderLock.forCommand(folder: connection.state)
        defer { withExtendedLifetime(lock) {} }
        let list: [String]
        do {
            list = try TrainingSet.words(inFile: words)
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
        let device = try connection.device(checkingPolicy: checkPrivacy)
        defer { device.runtime.close() }
        let upkeep = try DeviceUpkeep(device: device, state: connection.state, renewal: renewal)
        defer { upkeep.stop() }
        do {
            guard try device.servesFederation() else {
                throw CommandFailure(
                    "the runtime at \(device.runtime.endpoint) serves ML mode; cml-device fl needs an FL runtime (cml-runtime serve --mode fl)")
            }
            let model = try device.download()
            logger.info(
                "downloaded global model \(model.shortID) (\(model.size) bytes, round \(device.round)) from the runtime at \(device.runtime.endpoint)")
            // Rounds this device completed: a round that closed before its update arrived does not count.
            var completed = 0
            do {
                while completed < rounds {
                    if try takePart(device, words: list) { completed += 1 }
                }
            } catch let error as ChannelError where error.kind == .remote && error.code == .budgetExhausted {
                // The federation stopped for good: the last global model is the result.
                StandardError.line("the runtime takes no more rounds (budget-exhausted): \(error.message); stopping after \(completed) round\(completed == 1 ? "" : "s")")
            }
            if let out, let global = device.model {
                try ModelFile.write(global.blob, to: out)
                StandardOutput.line("wrote global model \(global.shortID) of round \(device.round) to \(out)")
            }
            for prefix in predict {
                StandardOutput.line("\(prefix) -> \(try device.model?.complete(prefix) ?? prefix)")
            }
        } catch let error as ChannelError {
            throw CommandFailure(error.description, cause: error)
        }
    }

    /// One round: train, upload, wait for the round's global model. Returns whether this device completed
    /// it; false when the round closed before its update arrived, and the device then holds the next
    /// round's global model to train on.
    private func takePart(_ device: Device, words: [String]) throws -> Bool {
        let round = device.round
        guard try device.join() else {
            StandardError.line("round \(round): the runtime did not sample this device (not-sampled); waiting for round \(round + 1)'s global model")
            let global = try device.awaitGlobal(round: round + 1)
            StandardError.line("round \(device.round): received global model \(global.shortID) (\(global.model.samples) samples); training on it")
            return false
        }
        let update = try device.trainLocally(words: words, epochs: epochs) { report in
            if let line = report.lossLine { logger.info("\(line)") }
        }
        let loss = String(format: "%.4f", update.loss)
        logger.info(
            "round \(round): trained locally on \(words.count) word\(words.count == 1 ? "" : "s") (\(update.samples) samples), \(epochs) epochs: loss \(loss)")
        switch try device.submit(update) {
        case .acknowledged:
            logger.info("round \(round): sent update \(update.shortID) (\(update.samples) samples, loss \(loss)); the runtime acknowledged it")
            let global = try device.awaitGlobal(round: round + 1)
            StandardOutput.line(
                "round \(device.round): received global model \(global.shortID) (\(global.model.samples) samples)"
                    + (global.model.privacy.map { "; privacy spent: \($0)" } ?? ""))
            return true
        case .roundClosed:
            logger.info(
                "round \(round) closed before this device's update arrived (wrong-round): downloading round \(round + 1)'s global model and taking part in it")
            let global = try device.awaitGlobal(round: round + 1)
            logger.info("round \(device.round): received global model \(global.shortID) (\(global.model.samples) samples); training on it")
            return false
        case .notSampled:
            StandardError.line("round \(round): the runtime did not sample this device (not-sampled); waiting for round \(round + 1)'s global model")
            let global = try device.awaitGlobal(round: round + 1)
            StandardError.line("round \(device.round): received global model \(global.shortID) (\(global.model.samples) samples); training on it")
            return false
        }
    }
}
