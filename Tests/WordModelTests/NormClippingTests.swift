import Testing
import WordModel

@Suite struct NormClippingTests {
    typealias F = AggregationFixtures

    func clipped(_ update: ModelWeights, bound: Double, global: ModelWeights) throws -> ModelWeights {
        // FedAvg of one update is that update, so this shows the clipping alone.
        try NormClipping(bound: bound).aggregate([update], weights: [1], global: global)
    }

    @Test func updatesWithinTheBoundAreKept() throws {
        let update = try F.weights(head: [3, 4])
        #expect(try clipped(update, bound: 6, global: .zero) == update)
        // Exactly at the bound.
        #expect(try clipped(update, bound: 5, global: .zero) == update)
        #expect(try clipped(.zero, bound: 1, global: .zero) == .zero)
    }

    @Test func updatesBeyondTheBoundArePulledTowardTheGlobalModel() throws {
        // Distance 5 from zero, bound 1: (3, 4) / 5.
        let result = try clipped(F.weights(head: [3, 4]), bound: 1, global: .zero)
        #expect(result == (try F.weights(head: [0.6, 0.8])))
        // Around a global model of ones: 1 + (3, 4) at distance 5, bound 2.5 -> 1 + (1.5, 2).
        #expect(try clipped(F.weights(head: [4, 5], rest: 1), bound: 2.5, global: F.constant(1)) == F.weights(head: [2.5, 3], rest: 1))
        // Any direction ends at the bound.
        let global = ModelWeights(seed: 2)
        let far = try F.randomUpdates(count: 1, seed: 5)[0]
        #expect(abs(try clipped(far, bound: 0.75, global: global).distance(to: global) - 0.75) <= 1e-6)
    }

    @Test func extremeValuesStayFinite() throws {
        // The difference, 6e38 per parameter, overflows float32; the clipped update must not.
        let result = try clipped(F.constant(3e38), bound: 2, global: F.constant(-3e38))
        #expect(result.isFinite)
        #expect(abs(result.distance(to: try F.constant(-3e38)) - 2) <= 1e32, "float32 spacing at 3e38 is about 2e31")
    }

    @Test func thenFedAvgWeighsTheClippedUpdates() throws {
        // (3, 4) with 1 sample stays; (-6, -8) with 3 samples is clipped to (-3, -4): (3 - 9, 4 - 12) / 4.
        let rule = try NormClipping(bound: 5)
        let result = try rule.aggregate([F.weights(head: [3, 4]), F.weights(head: [-6, -8])], weights: [1, 3], global: .zero)
        #expect(result == (try F.weights(head: [-1.5, -2])))
    }

    @Test func thenMedian() throws {
        // Two of three updates at (30, 40): the median alone takes them; clipped to 10 first, it is (6, 8).
        let updates = try [ModelWeights.zero, F.weights(head: [30, 40]), F.weights(head: [30, 40])]
        #expect(try CoordinateMedian().aggregate(updates, weights: [1, 1, 1], global: .zero) == F.weights(head: [30, 40]))
        let rule = try NormClipping(bound: 10, base: CoordinateMedian())
        #expect(try rule.aggregate(updates, weights: [1, 1, 1], global: .zero) == F.weights(head: [6, 8]))
    }

    @Test func thenTrimmedMean() throws {
        // Clipped to 10: 0, 6, 6, 6, 50 -> 0, 6, 6, 6, 10 at parameter 0 (the last is (50, 0)); β = 0.2 keeps 6, 6, 6.
        let updates = try [ModelWeights.zero, F.weights(head: [6]), F.weights(head: [6]), F.weights(head: [6]), F.weights(head: [50])]
        let rule = try NormClipping(bound: 10, base: TrimmedMean(trimFraction: 0.2))
        #expect(try rule.aggregate(updates, weights: [1, 1, 1, 1, 1], global: .zero) == F.weights(head: [6]))
    }

    @Test func refusals() throws {
        for bound in [0, -1, Double.infinity, Double.nan] {
            #expect(throws: WordModelError.invalidSetting(name: "clip norm", value: "\(bound)", expected: "a finite number > 0")) {
                try NormClipping(bound: bound)
            }
        }
        // The base rule's own refusals come through.
        let rule = try NormClipping(bound: 1)
        #expect(throws: WordModelError.aggregation("FedAvg: the updates carry 0 samples in total, so there is nothing to weigh them by")) {
            try rule.aggregate([.zero], weights: [0], global: .zero)
        }
    }
}
