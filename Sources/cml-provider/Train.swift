public import ArgumentParser
import ByteKit
import CommandSupport
import Foundation
import WordModel

/// `cml-provider train`: trains a model on a word file and writes its blob.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a word model on a word file and write the model blob.",
        discussion: """
            Starts from --from MODEL, or from fresh weights drawn from --seed (Keras initialisation). \
            Samples come in file order (each five-letter word gives two) unless --shuffle is given, which \
            draws a new order every epoch from --seed. Prints the loss line `epoch: N, loss: a,b` every 10 \
            epochs on standard error: each batch's loss when an epoch has at most 10 batches, their mean otherwise.
            """)

    @Option(help: ArgumentHelp("Start from this model instead of fresh weights.", valueName: "MODEL"))
    var from: String?

    @Option(help: "Seed for fresh weights (without --from) and for the --shuffle order.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Word file: one five-letter word per line.", valueName: "FILE"))
    var words: String

    @Option(help: "Passes over the word file.")
    var epochs: Int

    @Option(help: "Samples per batch; the last batch of an epoch may be shorter.")
    var batchSize = 1

    @Option(help: "Step size (default: 0.001 for rmsprop, 0.01 for sgd).")
    var learningRate: Float?

    @Option(help: "rmsprop (as Keras 3) or sgd.")
    var optimizer: OptimizerKind = .rmsprop

    @Flag(help: "Shuffle the samples every epoch, in an order drawn from --seed.")
    var shuffle = false

    @Option(help: ArgumentHelp("Where to write the trained model blob (replaced atomically).", valueName: "MODEL"))
    var out: String

    /// The seed for fresh weights when none is given.
    static let defaultSeed: UInt64 = 42

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a positive number, got \(learningRate)")
        }
        if from != nil, seed != nil, !shuffle {
            throw ValidationError("--seed picks fresh weights or a --shuffle order; with --from it needs --shuffle")
        }
    }

    func run() throws {
        // WordModelError's description names the file and what is wrong; ArgumentParser prints it and exits 1.
        let start = try from.map { try ModelFile.read($0).model } ?? Model(seed: seed ?? Self.defaultSeed)
        // A model trained from another is the next generation of it; fresh weights start at round 0.
        // Checked before training, so a model at the last round is refused before any work.
        let round = try from == nil ? 0 : ModelBlob.nextRound(after: start.round)
        let list = try TrainingSet.words(inFile: words)
        let set = try TrainingSet(words: list)

        let trainer = try Trainer(
            weights: start.weights, optimizer: optimizer.make(learningRate: learningRate), batchSize: batchSize)
        let progress = Progress(label: "train")
        let clock = ContinuousClock()
        let began = clock.now
        var lastLoss: Float = 0
        try trainer.train(set, epochs: epochs, shuffleSeed: shuffle ? seed ?? Self.defaultSeed : nil) { report in
            lastLoss = report.meanLoss
            if let line = report.lossLine {
                progress.finish()
                // Progress: standard output carries only the result (the summary and the written model).
                StandardError.line(line)
            }
            // Short runs (the usual few words) finish before progress would help; long ones show it.
            if clock.now - began > .seconds(1) {
                progress.report(
                    "epoch \(report.epoch + 1)/\(report.epochs), loss \(String(format: "%.4f", report.meanLoss)), "
                        + "\(String(format: "%.0f", report.samplesPerSecond)) samples/s")
            }
        }
        progress.finish()
        let elapsed = clock.now - began
        let seconds = elapsed.inSeconds

        let model = Model(
            weights: trainer.weights, round: round, samples: UInt64(set.count))
        let blob = try ModelFile.write(model, to: out)
        // Formatted, not converted to Int: a very short run's rate may be beyond Int's range.
        let rate = seconds > 0 ? String(format: "%.0f", Double(set.count) * Double(epochs) / seconds) : "0"
        print(
            "trained on \(list.count) word\(list.count == 1 ? "" : "s") (\(set.count) samples), \(epochs) epochs, "
                + "batch size \(batchSize), \(optimizer.rawValue): final loss \(String(format: "%.4f", lastLoss)) "
                + "in \(elapsed.readable) (\(rate) samples/s)")
        print("model \(blob.shortID) (\(blob.size) bytes, round \(model.round), \(model.samples) samples) written to \(out)")
    }
}

extension OptimizerKind: ExpressibleByArgument {}
