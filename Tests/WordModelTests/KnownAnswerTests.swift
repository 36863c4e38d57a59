import Testing
import WordModel

/// One epoch at batch size 1 against the float64 reference: every intermediate value to 1e-6.
@Suite struct KnownAnswerTests {
    let vectors: ReferenceVectors
    let tolerance = 1e-6

    init() throws {
        vectors = try ReferenceVectors.load()
    }

    @Test func samplesComeInFileOrder() throws {
        #expect(vectors.meta.alphabet == Alphabet.symbols)
        let set = try TrainingSet(words: vectors.meta.words)
        #expect(set.samples.map(\.inputs) == vectors.samples.map(\.xIndices))
        #expect(set.samples.map(\.target) == vectors.samples.map(\.yIndex))
    }

    @Test func inferenceWithInitialWeights() throws {
        let weights = try vectors.initialWeights.weights
        let network = SimpleRNN(capacity: vectors.inferenceInitial.count)
        let samples = try vectors.inferenceInitial.map { try Sample(inputs: $0.xIndices, target: $0.yIndex) }
        network.forward(weights: weights, samples: samples)
        for (index, expected) in vectors.inferenceInitial.enumerated() {
            #expect(maxDifference(network.output(sample: index), expected.output) <= tolerance, "sample \(index)")
            #expect(network.prediction(sample: index) == expected.argmax, "sample \(index)")
        }
        // One sample at a time takes the sgemv path; the loss of each must match too.
        let single = SimpleRNN(capacity: 1)
        for (sample, expected) in zip(samples, vectors.inferenceInitial) {
            single.forward(weights: weights, samples: [sample])
            #expect(abs(Double(single.loss()) - expected.loss) <= tolerance)
            #expect(maxDifference(single.output(sample: 0), expected.output) <= tolerance)
        }
    }

    @Test func firstEpochStepByStep() throws {
        let trainer = try Trainer(weights: try vectors.initialWeights.weights, optimizer: RMSprop(), batchSize: 1)
        for step in vectors.steps {
            let loss = trainer.step([try Sample(inputs: step.xIndices, target: step.yIndex)])
            let pass = trainer.lastPass
            for (t, expected) in step.hidden.enumerated() {
                #expect(maxDifference(pass.hidden(step: t + 1, sample: 0), expected) <= tolerance, "step \(step.step) h\(t + 1)")
            }
            #expect(maxDifference(pass.output(sample: 0), step.output) <= tolerance, "step \(step.step) output")
            #expect(pass.prediction(sample: 0) == step.argmax, "step \(step.step) argmax")
            #expect(abs(Double(loss) - step.loss) <= tolerance, "step \(step.step) loss")
            #expect(maxDifference(trainer.gradient.parameters, step.grads.flat) <= tolerance, "step \(step.step) gradient")
            let rmsprop = try #require(trainer.optimizer as? RMSprop)
            #expect(maxDifference(rmsprop.velocity, step.velocityAfter.flat) <= tolerance, "step \(step.step) velocity")
            #expect(maxDifference(trainer.weights.parameters, step.weightsAfter.flat) <= tolerance, "step \(step.step) weights")
        }
    }

    @Test func trainingOneEpochMatchesTheStepByStepReference() throws {
        let trainer = try Trainer(weights: try vectors.initialWeights.weights, batchSize: 1)
        var reports = [EpochReport]()
        try trainer.train(try TrainingSet(words: vectors.meta.words), epochs: 1) { reports.append($0) }
        let last = try #require(vectors.steps.last)
        #expect(maxDifference(trainer.weights.parameters, last.weightsAfter.flat) <= tolerance)
        #expect(reports.count == 1)
        #expect(maxDifference(reports[0].batchLosses, vectors.steps.map(\.loss)) <= tolerance)
    }
}
