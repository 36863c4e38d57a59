import Testing
import WordModel

@Suite struct TrainingTests {
    static let words = ["which", "there", "their", "about", "white"]

    @Test func hundredEpochsLearnTheFiveWords() throws {
        let trainer = try Trainer(weights: ModelWeights(seed: 42))
        var reports = [EpochReport]()
        try trainer.train(try TrainingSet(words: Self.words), epochs: 100) { reports.append($0) }
        let predictor = Predictor(weights: trainer.weights)
        #expect(try predictor.complete("abo") == "about")
        #expect(try ["there", "their"].contains(predictor.complete("the")))
        #expect(try ["which", "white"].contains(predictor.complete("whi")))
        #expect(reports.map(\.epoch) == Array(0..<100))
        #expect(reports.allSatisfy { $0.batchLosses.count == 10 && $0.samples == 10 })
        #expect(reports.last!.meanLoss < reports.first!.meanLoss / 2)
    }

    @Test func lastBatchIsShorter() throws {
        // 10 samples at batch size 4: batches of 4, 4 and 2.
        let set = try TrainingSet(words: Self.words)
        let trainer = try Trainer(weights: ModelWeights(seed: 1), batchSize: 4)
        var losses = [Float]()
        try trainer.train(set, epochs: 1) { losses = $0.batchLosses }
        // The same batches by hand give the same losses and weights.
        let byHand = try Trainer(weights: ModelWeights(seed: 1), batchSize: 4)
        let expected = [byHand.step(Array(set.samples[0..<4])), byHand.step(Array(set.samples[4..<8])), byHand.step(Array(set.samples[8..<10]))]
        #expect(losses == expected)
        #expect(trainer.weights == byHand.weights)
    }

    @Test func shuffleIsSeededAndChangesTheOrder() throws {
        let set = try TrainingSet(words: Self.words)
        func train(seed: UInt64?) throws -> ModelWeights {
            let trainer = try Trainer(weights: ModelWeights(seed: 3))
            try trainer.train(set, epochs: 2, shuffleSeed: seed)
            return trainer.weights
        }
        #expect(try train(seed: 9) == train(seed: 9))
        #expect(try train(seed: 9) != train(seed: 10))
        #expect(try train(seed: 9) != train(seed: nil))
    }

    @Test func sgdStepsAgainstTheGradient() throws {
        let weights = ModelWeights(seed: 4)
        let samples = [try Sample(prefix: "abo", next: "u")]
        let (_, gradient) = SimpleRNN(capacity: 1).lossAndGradient(weights: weights, samples: samples)
        let trainer = try Trainer(weights: weights, optimizer: SGD(learningRate: 0.5))
        _ = trainer.step(samples)
        let expected = zip(weights.parameters, gradient.parameters).map { $0 - 0.5 * $1 }
        #expect(maxDifference(trainer.weights.parameters, expected.map(Double.init)) <= 1e-7)
        #expect(OptimizerKind.sgd.make() is SGD)
        #expect((OptimizerKind.rmsprop.make() as? RMSprop)?.learningRate == 0.001)
    }

    @Test func settingsAreChecked() throws {
        #expect(throws: WordModelError.invalidSetting(name: "batch size", value: "0", expected: "at least 1")) {
            try Trainer(weights: .zero, batchSize: 0)
        }
        #expect(throws: WordModelError.invalidSetting(name: "batch size", value: "99999999999999", expected: "at most 65536")) {
            try Trainer(weights: .zero, batchSize: 99_999_999_999_999)
        }
        #expect(try Trainer(weights: .zero, batchSize: Trainer.maximumBatchSize).batchSize == 65_536)
        // A learning rate that blows the weights up stops training with a reason, not a NaN model.
        let diverging = try Trainer(weights: ModelWeights(seed: 1), optimizer: RMSprop(learningRate: 3e38))
        var reported = 0
        #expect(throws: WordModelError.diverged(epoch: 0)) {
            try diverging.train(TrainingSet(words: ["which", "there"]), epochs: 5) { _ in reported += 1 }
        }
        #expect(reported == 1)
        let trainer = try Trainer(weights: .zero)
        #expect(throws: WordModelError.noSamples(source: "the training set")) {
            try trainer.train(TrainingSet(samples: []), epochs: 1)
        }
        #expect(throws: WordModelError.invalidSetting(name: "epochs", value: "-1", expected: "0 or more")) {
            try trainer.train(TrainingSet(words: ["about"]), epochs: -1)
        }
    }

    @Test func lossLines() {
        // The original's line: each batch's loss, three decimals, every 10th epoch.
        let one = EpochReport(epoch: 0, epochs: 100, batchLosses: [0.0414, 0.0686], samples: 2, seconds: 0.001)
        #expect(one.lossLine == "epoch: 0, loss: 0.041,0.069")
        #expect(EpochReport(epoch: 90, epochs: 100, batchLosses: [0.0004, 0], samples: 2, seconds: 0).lossLine == "epoch: 90, loss: 0.000,0.000")
        #expect(EpochReport(epoch: 7, epochs: 100, batchLosses: [0.5], samples: 1, seconds: 0).lossLine == nil)
        // Many batches: their mean.
        let many = EpochReport(epoch: 10, epochs: 20, batchLosses: [Float](repeating: 0.25, count: 11) + [0.0125], samples: 12, seconds: 2)
        #expect(many.lossLine == "epoch: 10, loss: 0.230 (mean of 12 batches)")
        #expect(many.samplesPerSecond == 6)
        #expect(EpochReport(epoch: 0, epochs: 1, batchLosses: [0.0004, .nan], samples: 2, seconds: 0).lossLine == "epoch: 0, loss: 0.000,nan")
    }
}
