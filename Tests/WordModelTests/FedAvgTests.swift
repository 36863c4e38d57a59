import Testing
import WordModel

@Suite struct FedAvgTests {
    func weights(_ value: (Int) -> Float) throws -> ModelWeights {
        try ModelWeights(parameters: (0..<ModelWeights.parameterCount).map(value))
    }

    @Test func weightedBySampleCounts() throws {
        // By hand: (1 * a + 3 * b) / 4 per parameter, with a = i and b = 2 - i/100.
        let a = try weights { Float($0) }
        let b = try weights { 2 - Float($0) / 100 }
        let average = try FedAvg().aggregate([Model(weights: a, samples: 1), Model(weights: b, samples: 3)])
        for index in [0, 1, 783, 784, 1595] {
            let expected = (Double(index) + 3 * (2 - Double(index) / 100)) / 4
            #expect(abs(Double(average.parameters[index]) - expected) <= 1e-5 * max(1, abs(expected)), "parameter \(index)")
        }
        // A single model, and models with equal weights.
        #expect(try FedAvg().aggregate([a], weights: [5]) == a)
        let c = try weights { _ in 4 }
        let d = try weights { _ in 8 }
        #expect(try FedAvg().aggregate([c, d], weights: [2, 2]) == weights { _ in 6 })
        // A model with no samples counts for nothing.
        #expect(try FedAvg().aggregate([Model(weights: c, samples: 0), Model(weights: d, samples: 9)]) == d)
    }

    @Test func refusals() throws {
        let a = ModelWeights(seed: 1)
        #expect(throws: WordModelError.aggregation("FedAvg needs at least one model, got none")) {
            try FedAvg().aggregate([Model]())
        }
        #expect(throws: WordModelError.aggregation("FedAvg models carry 0 samples in total, so there is nothing to weigh them by")) {
            try FedAvg().aggregate([Model(weights: a, samples: 0), Model(weights: a, samples: 0)])
        }
        #expect(throws: WordModelError.aggregation("FedAvg got 1 models but 2 weights")) {
            try FedAvg().aggregate([a], weights: [1, 2])
        }
        #expect(throws: WordModelError.aggregation("FedAvg weight of model 1 is -1.0, expected a finite number >= 0")) {
            try FedAvg().aggregate([a, a], weights: [1, -1])
        }
    }
}
