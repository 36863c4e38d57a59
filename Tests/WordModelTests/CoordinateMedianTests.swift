import Testing
import WordModel

@Suite struct CoordinateMedianTests {
    typealias F = AggregationFixtures
    let median = CoordinateMedian()

    func median(_ updates: [ModelWeights]) throws -> ModelWeights {
        try median.aggregate(updates, weights: updates.map { _ in 1 }, global: .zero)
    }

    @Test func oddCountTakesTheMiddleValue() throws {
        // Per parameter i: 1, 5 and (10 for even i, -2 for odd i) -> 5 for even i, 1 for odd i.
        let result = try median([F.constant(1), F.constant(5), F.weights { $0 % 2 == 0 ? 10 : -2 }])
        #expect(result == (try F.weights { $0 % 2 == 0 ? 5 : 1 }))
        // Order does not matter: 9, 1, 3, 7, 5 -> 5.
        #expect(try median([9, 1, 3, 7, 5].map(F.constant)) == F.constant(5))
    }

    @Test func evenCountAveragesTheTwoMiddleValues() throws {
        // 1, 5, 3, 9 -> (3 + 5) / 2 = 4.
        #expect(try median([1, 5, 3, 9].map(F.constant)) == F.constant(4))
        // Per parameter i: i, -i, 2i, 1e5 -> sorted -i, i, 2i, 1e5 -> 1.5 i (i = 0: 0, 0, 0, 1e5 -> 0).
        let result = try median([F.weights { Float($0) }, F.weights { -Float($0) }, F.weights { 2 * Float($0) }, F.constant(1e5)])
        #expect(result == (try F.weights { 1.5 * Float($0) }))
    }

    @Test func ties() throws {
        #expect(try median([2, 7, 2].map(F.constant)) == F.constant(2))
        #expect(try median([4, 9, 4, 4].map(F.constant)) == F.constant(4))
        #expect(try median([9, 2, 1, 2].map(F.constant)) == F.constant(2))
        #expect(try median([3, 3, 3, 3, 3, 3].map(F.constant)) == F.constant(3))
    }

    @Test func oneAndTwoUpdates() throws {
        let a = ModelWeights(seed: 1)
        #expect(try median([a]) == a)
        #expect(try median([F.constant(1), F.constant(2)]) == F.constant(1.5))
    }

    @Test func sampleCountsDoNotCount() throws {
        // Weighted, 1000 samples on 10 would win; the median ignores them.
        let updates = try [10, 1, 2].map(F.constant)
        #expect(try median.aggregate(updates, weights: [1000, 1, 1], global: .zero) == F.constant(2))
        #expect(try median.aggregate(updates, weights: [0, 0, 0], global: .zero) == F.constant(2))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 8, 11, 64, 101])
    func matchesSortingOnRandomUpdates(count: Int) throws {
        for levels in [3, 9, nil] {
            let updates = try F.randomUpdates(count: count, seed: UInt64(count), levels: levels)
            #expect(try median(updates) == F.bySorting(updates, F.median), "\(count) updates, \(levels.map(String.init) ?? "continuous") levels")
        }
    }
}
