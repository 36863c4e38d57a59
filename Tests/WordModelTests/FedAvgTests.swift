import Testing
import WordModel

@Suite struct FedAvgTests {
    typealias F = AggregationFixtures

    @Test func weightedBySampleCounts() throws {
        // By hand: (1 * a + 3 * b) / 4 per parameter, with a = i and b = 2 - i/100.
        let a = try F.weights { Float($0) }
        let b = try F.weights { 2 - Float($0) / 100 }
        let average = try FedAvg().aggregate([Model(weights: a, samples: 1), Model(weights: b, samples: 3)], global: .zero)
        for index in [0, 1, 783, 784, 1595] {
            let expected = (Double(index) + 3 * (2 - Double(index) / 100)) / 4
            #expect(abs(Double(average.parameters[index]) - expected) <= 1e-5 * max(1, abs(expected)), "parameter \(index)")
        }
        // A single update, and updates with equal weights.
        #expect(try FedAvg().aggregate([a], weights: [5], global: b) == a)
        let c = try F.constant(4)
        let d = try F.constant(8)
        #expect(try FedAvg().aggregate([c, d], weights: [2, 2], global: .zero) == F.constant(6))
        // An update with no samples counts for nothing.
        #expect(try FedAvg().aggregate([Model(weights: c, samples: 0), Model(weights: d, samples: 9)], global: .zero) == d)
        // The global model plays no part.
        #expect(try FedAvg().aggregate([c, d], weights: [1, 3], global: F.constant(-100)) == F.constant(7))
    }

    @Test func refusals() throws {
        let a = ModelWeights(seed: 1)
        #expect(throws: WordModelError.aggregation("FedAvg: the updates carry 0 samples in total, so there is nothing to weigh them by")) {
            try FedAvg().aggregate([Model(weights: a, samples: 0), Model(weights: a, samples: 0)], global: a)
        }
        #expect(throws: WordModelError.aggregation("FedAvg: the weights add up to inf, expected a finite sum")) {
            try FedAvg().aggregate([a, a], weights: [1e308, 1e308], global: a)
        }
    }
}
