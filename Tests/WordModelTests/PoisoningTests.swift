import Testing
import WordModel

/// Issue 6's poisoning test at the aggregation level: 10 honest devices train the same global model on
/// their own words; an 11th trains honestly too, then uploads its model scaled by 100.
@Suite struct PoisoningTests {
    static let global = ModelWeights(seed: 42)
    static let wordSets = [
        ["about", "white"], ["which", "there"], ["their", "would"], ["other", "these"], ["first", "could"],
        ["after", "where"], ["think", "three"], ["years", "place"], ["sound", "great"], ["again", "still"],
        ["every", "small"],
    ]
    static let epochs = 5
    /// Clipping bound: above the honest distances from the global model (about 0.42 here), so honest
    /// updates pass unclipped, as a policy's bound should be chosen.
    static let clipBound = 1.0

    /// Each device's model after `epochs` epochs on its words, with its sample count.
    static func honestModels() throws -> [Model] {
        try wordSets.map { words in
            let set = try TrainingSet(words: words)
            let trainer = try Trainer(weights: global)
            try trainer.train(set, epochs: epochs)
            return Model(weights: trainer.weights, samples: UInt64(set.count))
        }
    }

    @Test func robustRulesResistAModelScaledByOneHundred() throws {
        let models = try Self.honestModels()
        let honest = Array(models.prefix(10))
        var poisoned = models[10]
        poisoned.weights = try ModelWeights(parameters: poisoned.weights.parameters.map { 100 * $0 })
        let all = honest + [poisoned]

        // Clipping is to leave every honest update alone.
        let honestDistances = honest.map { $0.weights.distance(to: Self.global) }
        try #require(honestDistances.allSatisfy { $0 > 0 && $0 < Self.clipBound }, "honest distances from the global model: \(honestDistances)")

        let target = try FedAvg().aggregate(honest, global: Self.global)
        // How far the honest models themselves are from their FedAvg: the scale of "close".
        let honestSpread = try #require(honest.map { $0.weights.distance(to: target) }.min())
        let plainDistance = try FedAvg().aggregate(all, global: Self.global).distance(to: target)
        let rules: [any AggregationRule] = [
            CoordinateMedian(), try TrimmedMean(trimFraction: 0.1), try NormClipping(bound: Self.clipBound),
            try NormClipping(bound: Self.clipBound, base: CoordinateMedian()),
        ]
        for rule in rules {
            let distance = try rule.aggregate(all, global: Self.global).distance(to: target)
            let line = "poisoning: \(rule): distance \(distance) from the honest FedAvg; plain FedAvg: \(plainDistance)"
            print(line)
            #expect(distance < 0.1 * plainDistance, "\(line)")
            // Closer to the honest FedAvg than any honest model is.
            #expect(distance < honestSpread, "\(line); honest models are at least \(honestSpread) from it")
        }
        // Plain FedAvg is pulled far, by about 99/11 of the model's norm: much further than any honest model.
        #expect(plainDistance > 100 * honestSpread, "plain FedAvg distance \(plainDistance), honest spread \(honestSpread)")
    }
}
