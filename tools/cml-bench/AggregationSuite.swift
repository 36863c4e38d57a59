import CommandSupport
import Privacy
import WordModel

/// How long each aggregation rule takes for one round of 10, 100 and 1,000 device updates (random
/// updates around a seeded global model), single-threaded; DP-FedAvg beside FedAvg, and the noise for
/// one round's 1,596 coordinates alone.
struct AggregationSuite: BenchSuite {
    let name = "aggregation"
    static let deviceCounts = [10, 100, 1000]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let global = ModelWeights(seed: 1)
        let rules: [(figure: String, rule: any AggregationRule)] = [
            ("fedavg_ms", FedAvg()), ("median_ms", CoordinateMedian()),
            ("trimmed_mean_ms", try TrimmedMean(trimFraction: 0.1)), ("clipped_fedavg_ms", try NormClipping(bound: 1)),
            ("clipped_median_ms", try NormClipping(bound: 1, base: CoordinateMedian())),
            ("dp_fedavg_ms", try DPFedAvg(settings: Self.privacy)),
        ]
        try measureNoise(settings, reporter)
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

    /// DP-FedAvg as a policy would set it: C = 1, Z = 1.1, D = 100.
    static let privacy = PrivacySettings(
        clipNorm: 1, noiseMultiplier: 1.1, samplingRate: 0.01, expectedUpdates: 100, delta: 1e-5, maxEpsilon: 8)

    /// The discrete Gaussian noise of one round (1,596 draws from the CSPRNG), which DP-FedAvg adds once
    /// per round whatever the number of devices.
    func measureNoise(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        guard let grid = NoiseGrid(clipNorm: Self.privacy.clipNorm, noiseMultiplier: Self.privacy.noiseMultiplier) else {
            throw CommandFailure("the bench's privacy settings make no noise grid")
        }
        let seconds = Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = SecureGaussianNoise().noise(ModelWeights.parameterCount, from: grid.noise) }
        }
        StandardError.line("aggregation: discrete Gaussian noise for \(ModelWeights.parameterCount) parameters: \(String(format: "%.3f", seconds * 1e3)) ms")
        reporter.figure("dp_noise_ms", value: seconds * 1e3, unit: "ms", parameters: ["parameters": ModelWeights.parameterCount])
    }

    /// `count` updates: the global model plus uniform noise of ±0.05 per parameter.
    static func updates(_ count: Int, around global: ModelWeights) throws -> [ModelWeights] {
        var random = SeededGenerator(seed: 2)
        return try (0..<count).map { _ in
            try ModelWeights(parameters: global.parameters.map { $0 + Float(random.nextUniform(-0.05, 0.05)) })
        }
    }
}
