import CommandSupport
import WordModel

/// How long each aggregation rule takes for one round of 10, 100 and 1,000 device updates (random
/// updates around a seeded global model), single-threaded.
struct AggregationSuite: BenchSuite {
    let name = "aggregation"
    static let deviceCounts = [10, 100, 1000]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let global = ModelWeights(seed: 1)
        let rules: [(figure: String, rule: any AggregationRule)] = [
            ("fedavg_ms", FedAvg()), ("median_ms", CoordinateMedian()),
            ("trimmed_mean_ms", try TrimmedMean(trimFraction: 0.1)), ("clipped_fedavg_ms", try NormClipping(bound: 1)),
            ("clipped_median_ms", try NormClipping(bound: 1, base: CoordinateMedian())),
        ]
        for devices in Self.deviceCounts {
            let updates = try Self.updates(devices, around: global)
            let weights = updates.map { _ in 4.0 }
            for (figure, rule) in rules {
                let seconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
                    for _ in 0..<repeats { _ = try rule.aggregate(updates, weights: weights, global: global) }
                }
                StandardError.line("aggregation: \(rule), \(devices) updates: \(String(format: "%.2f", seconds * 1e3)) ms")
                reporter.figure(figure, value: seconds * 1e3, unit: "ms", parameters: ["devices": devices])
            }
        }
    }

    /// `count` updates: the global model plus uniform noise of ±0.05 per parameter.
    static func updates(_ count: Int, around global: ModelWeights) throws -> [ModelWeights] {
        var random = SeededGenerator(seed: 2)
        return try (0..<count).map { _ in
            try ModelWeights(parameters: global.parameters.map { $0 + Float(random.nextUniform(-0.05, 0.05)) })
        }
    }
}
