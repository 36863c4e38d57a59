import Testing
import WordModel

/// The checks every rule shares, run through every rule: each refusal starts with the rule's name.
@Suite struct AggregationInputTests {
    typealias F = AggregationFixtures

    static func rules() throws -> [any AggregationRule] {
        [
            FedAvg(), CoordinateMedian(), try TrimmedMean(trimFraction: 0.1),
            try NormClipping(bound: 1), try NormClipping(bound: 2.5, base: CoordinateMedian()),
        ]
    }

    @Test func descriptionsNameTheRuleAndItsSettings() throws {
        #expect(try Self.rules().map(\.description) == [
            "FedAvg", "coordinate median", "trimmed mean (β = 0.1)", "FedAvg after norm clipping to 1.0",
            "coordinate median after norm clipping to 2.5",
        ])
    }

    @Test func everyRuleRefusesBadInput() throws {
        let good = ModelWeights(seed: 7)
        var nan = good.parameters
        nan[7] = .nan
        var infinite = good.parameters
        infinite[1595] = -.infinity
        let withNaN = try ModelWeights(parameters: nan)
        let withInfinity = try ModelWeights(parameters: infinite)
        for rule in try Self.rules() {
            let name = rule.description
            #expect(throws: WordModelError.aggregation("\(name): no updates to aggregate")) {
                try rule.aggregate([], weights: [], global: good)
            }
            #expect(throws: WordModelError.aggregation("\(name): got 2 updates but 1 weights")) {
                try rule.aggregate([good, good], weights: [1], global: good)
            }
            for weight in [-1, Double.nan, Double.infinity] {
                #expect(throws: WordModelError.aggregation("\(name): the weight of update 1 is \(weight), expected a finite number >= 0")) {
                    try rule.aggregate([good, good, good], weights: [1, weight, 1], global: good)
                }
            }
            #expect(throws: WordModelError.aggregation("\(name): update 2 has nan at parameter 7, expected finite values")) {
                try rule.aggregate([good, good, withNaN], weights: [1, 1, 1], global: good)
            }
            // A non-finite update is refused even when it carries no weight.
            #expect(throws: WordModelError.aggregation("\(name): update 0 has -inf at parameter 1595, expected finite values")) {
                try rule.aggregate([withInfinity, good], weights: [0, 1], global: good)
            }
            #expect(throws: WordModelError.aggregation("\(name): the global model has nan at parameter 7, expected finite values")) {
                try rule.aggregate([good], weights: [1], global: withNaN)
            }
            // The same input, well formed, is accepted.
            #expect(try rule.aggregate([good, good], weights: [1, 2], global: good) == good)
        }
    }
}
