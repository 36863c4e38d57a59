import Testing
import WordModel

@Suite struct TrimmedMeanTests {
    typealias F = AggregationFixtures

    func trimmedMean(_ beta: Double, _ updates: [ModelWeights]) throws -> ModelWeights {
        try TrimmedMean(trimFraction: beta).aggregate(updates, weights: updates.map { _ in 1 }, global: .zero)
    }

    @Test func dropsTheExtremesAndAveragesTheRest() throws {
        // n = 5, β = 0.2: drop 1 at each end. 10, 1, 3, 100, 2 -> (10 + 3 + 2) / 3 = 5.
        #expect(try trimmedMean(0.2, [10, 1, 3, 100, 2].map(F.constant)) == F.constant(5))
        // n = 10, β = 0.25: drop 2 at each end. 1...10 -> mean of 3...8 = 5.5.
        #expect(try trimmedMean(0.25, [7, 3, 10, 1, 5, 9, 2, 8, 4, 6].map(F.constant)) == F.constant(5.5))
        // Per parameter i, n = 4, β = 0.25: i, -i, 3i, 1e5 -> drop the smallest and the largest -> (i + 3i) / 2 = 2i.
        let result = try trimmedMean(0.25, [F.weights { Float($0) }, F.weights { -Float($0) }, F.weights { 3 * Float($0) }, F.constant(1e5)])
        #expect(result == (try F.weights { 2 * Float($0) }))
    }

    @Test func ties() throws {
        // β = 0.2 of 6 drops 1 at each end: 5, 5, 5, 5, 1, 9 -> 5.
        #expect(try trimmedMean(0.2, [5, 5, 5, 5, 1, 9].map(F.constant)) == F.constant(5))
        // β = 0.2 of 5: 1, 1, 1, 9, 9 -> drop one 1 and one 9 -> (1 + 1 + 9) / 3.
        #expect(try trimmedMean(0.2, [1, 9, 1, 9, 1].map(F.constant)) == F.constant(Float(11.0 / 3)))
    }

    @Test func betaZeroIsThePlainMean() throws {
        #expect(try trimmedMean(0, [1, 2, 6].map(F.constant)) == F.constant(3))
        let updates = try F.randomUpdates(count: 9, seed: 3)
        let plain = try FedAvg().aggregate(updates, weights: updates.map { _ in 1 }, global: .zero)
        #expect(F.relativeDifference(try trimmedMean(0, updates), plain) <= 1e-6)
    }

    @Test func trimmedCounts() throws {
        let cases: [(beta: Double, count: Int, trimmed: Int)] = [
            (0, 1000, 0), (0.1, 9, 0), (0.1, 10, 1), (0.1, 11, 1), (0.1, 1000, 100), (0.25, 4, 1), (0.49, 2, 0),
            (0.49, 3, 1), (0.3, 10, 3), (0.35, 180, 63),
        ]
        for (beta, count, trimmed) in cases {
            #expect(try TrimmedMean(trimFraction: beta).trimmedCount(of: count) == trimmed, "β = \(beta), n = \(count)")
        }
    }

    @Test func betaJustBelowOneHalfIsTheMedian() throws {
        // floor(β n) = (n - 1) / 2 for odd n and n / 2 - 1 for even n: the one or two middle values.
        for count in 1...12 {
            let updates = try F.randomUpdates(count: count, seed: UInt64(100 + count), levels: 5)
            let median = try CoordinateMedian().aggregate(updates, weights: updates.map { _ in 1 }, global: .zero)
            #expect(try trimmedMean(0.4999, updates) == median, "\(count) updates")
        }
    }

    @Test func sampleCountsDoNotCount() throws {
        let updates = try [100, 1, 2, 3, 4].map(F.constant)
        let rule = try TrimmedMean(trimFraction: 0.2)
        #expect(try rule.aggregate(updates, weights: [1e6, 1, 1, 1, 1], global: .zero) == F.constant(3))
    }

    @Test(arguments: [1, 2, 3, 7, 10, 11, 64, 101])
    func matchesSortingOnRandomUpdates(count: Int) throws {
        for beta in [0, 0.1, 0.2, 0.45] {
            let rule = try TrimmedMean(trimFraction: beta)
            let trimmed = rule.trimmedCount(of: count)
            for levels in [3, nil] {
                let updates = try F.randomUpdates(count: count, seed: UInt64(count), levels: levels)
                let result = try rule.aggregate(updates, weights: updates.map { _ in 1 }, global: .zero)
                let reference = try F.bySorting(updates) { F.trimmedMean($0, trimmed: trimmed) }
                #expect(F.relativeDifference(result, reference) <= 1e-6, "\(count) updates, β = \(beta)")
            }
        }
    }

    @Test func refusals() throws {
        for beta in [-0.1, 0.5, 0.7, Double.nan, Double.infinity] {
            #expect(throws: WordModelError.invalidSetting(name: "trim fraction β", value: "\(beta)", expected: "0 <= β < 0.5")) {
                try TrimmedMean(trimFraction: beta)
            }
        }
        // A β so close to 0.5 that β n counts as n / 2 would drop everything.
        let rule = try TrimmedMean(trimFraction: 0.4999999999999)
        #expect(throws: WordModelError.aggregation("trimmed mean (β = 0.4999999999999): dropping 1 of 2 updates at each end leaves none to average")) {
            try rule.aggregate([.zero, .zero], weights: [1, 1], global: .zero)
        }
        #expect(try rule.aggregate([F.constant(1), F.constant(2), F.constant(9)], weights: [1, 1, 1], global: .zero) == F.constant(2))
    }
}
