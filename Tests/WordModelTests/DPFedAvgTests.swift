import Foundation
import Privacy
import Testing
import WordModel

/// No noise, to show the clipping and the division by D alone.
struct NoNoise: NoiseSource {
    func noise(_ count: Int, from distribution: DiscreteGaussian) -> [Int64] { [Int64](repeating: 0, count: count) }
}

@Suite struct DPFedAvgTests {
    typealias F = AggregationFixtures

    static func settings(clipNorm: Double = 1, noiseMultiplier: Double = 1, expectedUpdates: Double = 1) -> PrivacySettings {
        PrivacySettings(
            clipNorm: clipNorm, noiseMultiplier: noiseMultiplier, samplingRate: 1, expectedUpdates: expectedUpdates, delta: 1e-5,
            maxEpsilon: 100)
    }

    /// How far the grid may move the result in L2: half a step per coordinate from rounding, the clip
    /// bound's margin (21 / 2^20 of C), and float32 rounding of 1,596 coordinates of magnitude about 1
    /// (6e-8 each, 2.4e-6 together) in the result and in the expected model.
    static func tolerance(_ rule: DPFedAvg) -> Double {
        rule.grid.step * 1596.0.squareRoot() / 2 + 21 / 0x1p20 * rule.settings.clipNorm + 1e-5
    }

    /// An update 5 from the global model, C = 1, D = 1: the result is the global model moved 1 toward it.
    @Test func clipsEachDifferenceToTheClipNorm() throws {
        let rule = try DPFedAvg(settings: Self.settings(), noise: NoNoise())
        let global = ModelWeights(seed: 2)
        let direction = try F.randomUpdates(count: 1, seed: 5)[0]
        let far = try ModelWeights(parameters: zip(global.parameters, direction.parameters).map { center, value in
            center + Float(5 / direction.distance(to: .zero)) * value
        })
        let result = try rule.aggregate([far], weights: [1], global: global)
        #expect(abs(result.distance(to: global) - 1) <= Self.tolerance(rule))
        // Along the same line: result - global = (far - global) / 5.
        let expected = try ModelWeights(parameters: zip(global.parameters, far.parameters).map { center, value in
            center + (value - center) / 5
        })
        #expect(result.distance(to: expected) <= Self.tolerance(rule))
    }

    /// Within the clip norm an update is kept (to the grid), and the sum is divided by D = 4, not by
    /// the 2 updates; sample counts are not used.
    @Test func dividesTheSumByExpectedUpdates() throws {
        let rule = try DPFedAvg(settings: Self.settings(clipNorm: 10, expectedUpdates: 4), noise: NoNoise())
        let (a, b) = (try F.weights(head: [3, 4]), try F.weights(head: [1, -2, 2]))
        let result = try rule.aggregate([a, b], weights: [1, 1000], global: .zero)
        let expected = try F.weights(head: [1, 0.5, 0.5])
        #expect(result.distance(to: expected) <= Self.tolerance(rule))
        #expect(try rule.aggregate([a, b], weights: [1, 1], global: .zero) == result)
        // With no updates beyond the global model, it is released unchanged.
        #expect(try rule.aggregate([.zero], weights: [1], global: .zero) == .zero)
    }

    /// One device moves the released model by at most C/D, however far its update is.
    @Test func oneDeviceMovesTheResultByAtMostCOverD() throws {
        let rule = try DPFedAvg(settings: Self.settings(clipNorm: 2, expectedUpdates: 10), noise: NoNoise())
        let honest = try F.randomUpdates(count: 5, seed: 7).map { try ModelWeights(parameters: $0.parameters.map { $0 * 0.01 }) }
        let without = try rule.aggregate(honest, weights: honest.map { _ in 1 }, global: .zero)
        let attacker = try F.constant(1e30)
        let with = try rule.aggregate(honest + [attacker], weights: (honest + [attacker]).map { _ in 1 }, global: .zero)
        #expect(with.distance(to: without) <= 2.0 / 10 + Self.tolerance(rule))
    }

    /// The noise from the CSPRNG over 20 rounds of one update equal to the global model (C = 1, Z = 1,
    /// D = 1): 31,920 values of N(0, 1) on a grid of 2^-20. Each check fails with probability at most
    /// δ/2 (δ = 1e-6) when the noise is right: the mean of a σ-sub-Gaussian (the discrete Gaussian is,
    /// CKS 2020) is within σ·sqrt(2 ln(4/δ)/n); the mean of x² capped at 64 (the mass beyond 8σ is below
    /// 1e-14) is within Bernstein's bound, with range 64 and variance at most E[x⁴] - 1 = 2, of 1.
    @Test func noiseHasMeanZeroAndVarianceOfZTimesC() throws {
        let rule = try DPFedAvg(settings: Self.settings(clipNorm: 0.5, noiseMultiplier: 4, expectedUpdates: 2))
        let sigma = 4 * 0.5 / 2.0
        var values: [Double] = []
        for _ in 0..<20 {
            values += try rule.aggregate([.zero], weights: [1], global: .zero).parameters.map { Double($0) / sigma }
        }
        let n = Double(values.count)
        let failure = 1e-6
        let mean = values.reduce(0, +) / n
        #expect(abs(mean) <= (2 * log(4 / failure) / n).squareRoot(), "mean \(mean)")
        let (range, variance) = (64.0, 2.0)
        let logTerm = log(4 / failure)
        let linear = 2 * range / 3 * logTerm
        let bound = (linear + (linear * linear + 8 * n * variance * logTerm).squareRoot()) / (2 * n)
        let secondMoment = values.reduce(0) { $0 + min($1 * $1, range) } / n
        #expect(abs(secondMoment - 1) <= bound, "second moment \(secondMoment), expected 1 ± \(bound)")
        // Two rounds never share their noise.
        #expect(try rule.aggregate([.zero], weights: [1], global: .zero) != rule.aggregate([.zero], weights: [1], global: .zero))
    }

    @Test func refusesSettingsNamingTheField() {
        #expect(throws: WordModelError.invalidSetting(name: "privacy expected-updates", value: "", expected: "is 0.0; it must be above 0 and at most 1000000000.0")) {
            try DPFedAvg(settings: Self.settings(expectedUpdates: 0))
        }
    }
}
