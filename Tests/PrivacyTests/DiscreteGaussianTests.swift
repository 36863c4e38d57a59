import Foundation
@testable import Privacy
import Testing

@Suite struct DiscreteGaussianTests {
    /// The exact probabilities of the discrete Gaussian with parameter σ, over |x| <= 60σ (the rest is
    /// below e^-1800).
    static func probabilities(sigma: Double) -> [Int: Double] {
        let range = -Int(60 * sigma)...Int(60 * sigma)
        let weights = range.map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        return Dictionary(uniqueKeysWithValues: zip(range, weights.map { $0 / total }))
    }

    /// 200,000 draws at σ = 1, 2 and 5: by the Dvoretzky-Kiefer-Wolfowitz inequality (Massart's constant),
    /// the empirical CDF is within sqrt(ln(2/δ)/2n) = 0.0062 of the true one everywhere, except with
    /// probability δ = 1e-6. A wrong σ (2 for 2.2) or a lost sign shifts the CDF by more.
    @Test(arguments: [1, 2, 5] as [UInt64])
    func distributionMatchesTheFormula(sigma: UInt64) throws {
        let gaussian = try #require(DiscreteGaussian(sigma: sigma))
        let draws = 200_000
        let samples = gaussian.samples(draws, using: SecureRandomBits())
        var counts: [Int64: Int] = [:]
        for sample in samples { counts[sample, default: 0] += 1 }
        let exact = Self.probabilities(sigma: Double(sigma))
        let bound = (log(2 / Bounds.failure) / (2 * Double(draws))).squareRoot()
        var (empirical, expected, worst) = (0.0, 0.0, 0.0)
        for value in exact.keys.sorted() {
            empirical += Double(counts[Int64(value), default: 0]) / Double(draws)
            expected += exact[value]!
            worst = max(worst, abs(empirical - expected))
        }
        #expect(worst <= bound, "largest CDF gap \(worst) at σ = \(sigma)")
        #expect(samples.allSatisfy { exact[Int($0)] != nil }, "a draw beyond 60σ")
    }

    /// The mean and variance of 100,000 draws at σ = 3, each failing with probability at most δ/2
    /// (δ = 1e-6). The discrete Gaussian is sub-Gaussian with parameter σ (CKS 2020), so the mean is
    /// within σ·sqrt(2 ln(4/δ)/n). The second moment of x² capped at (8σ)² (the mass beyond is below
    /// 1e-14) is within Bernstein's bound of its exact value, computed from the formula.
    @Test func momentsMatchTheFormula() throws {
        let sigma = 3.0
        let gaussian = try #require(DiscreteGaussian(sigma: 3))
        let draws = 100_000
        let samples = gaussian.samples(draws, using: SecureRandomBits()).map(Double.init)
        let mean = samples.reduce(0, +) / Double(draws)
        #expect(abs(mean) <= sigma * (2 * log(4 / Bounds.failure) / Double(draws)).squareRoot(), "mean \(mean)")

        let cap = 64 * sigma * sigma
        let exact = Self.probabilities(sigma: sigma)
        let capped = exact.reduce(0) { $0 + min(Double($1.key * $1.key), cap) * $1.value }
        let spread = exact.reduce(0) { $0 + pow(min(Double($1.key * $1.key), cap) - capped, 2) * $1.value }
        let secondMoment = samples.reduce(0) { $0 + min($1 * $1, cap) } / Double(draws)
        let bound = Bounds.bernstein(draws: draws, range: cap, variance: spread, failure: Bounds.failure / 2)
        #expect(abs(secondMoment - capped) <= bound, "second moment \(secondMoment), expected \(capped) ± \(bound)")
        #expect(abs(capped - sigma * sigma) < 1e-6, "the variance of the discrete Gaussian at σ = 3 is σ² to 1e-6")
    }

    /// exp(-γ) coins for γ = 0, 1/2, 3/2 and 7/3 (whole units, then the fraction): 100,000 flips each
    /// within Hoeffding's bound.
    @Test(arguments: [(0, 1), (1, 2), (3, 2), (7, 3)] as [(UInt128, UInt128)])
    func exponentialCoinsHaveTheirBias(numerator: UInt128, denominator: UInt128) {
        let bits = SecureRandomBits()
        let flips = 100_000
        let heads = (0..<flips).filter { _ in ExactBernoulli.exponential(numerator, over: denominator, bits) }.count
        let expected = exp(-Double(numerator) / Double(denominator))
        #expect(abs(Double(heads) / Double(flips) - expected) <= Bounds.hoeffding(draws: flips))
    }

    @Test func refusesSigmaOutsideItsRange() {
        #expect(DiscreteGaussian(sigma: 0) == nil)
        #expect(DiscreteGaussian(sigma: DiscreteGaussian.maximumSigma + 1) == nil)
        #expect(DiscreteGaussian(sigma: DiscreteGaussian.maximumSigma) != nil)
    }
}
