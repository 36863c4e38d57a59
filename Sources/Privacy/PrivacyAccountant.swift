import Foundation

/// The privacy spent by rounds of the Poisson-subsampled Gaussian mechanism, as DP-FedAvg releases
/// them: Rényi DP per round (Mironov, Talwar and Zhang 2019), composed over the rounds by adding, and
/// converted to (epsilon, delta) with the conversion of Canonne, Kamath and Steinke / Asoodeh et al.
/// It follows dp-accounting 0.6.0's `RdpAccountant` (the same orders, series and conversion), so its
/// figures agree with that package's `get_epsilon`.
public struct PrivacyAccountant: Sendable, Hashable {
    /// Z: the noise's standard deviation over the clip norm.
    public let noiseMultiplier: Double
    /// Q: the probability that a device takes part in a round.
    public let samplingRate: Double
    /// The Rényi orders tried.
    public let orders: [Double]
    /// Rényi DP of one round at each order (+infinity where the series did not converge).
    public let renyiPerRound: [Double]

    /// The most rounds the accountant counts: ModelBlob refuses rounds past 2^53 - 1.
    public static let maximumRounds = (1 << 53) - 1

    /// The accountant for noise multiplier Z (> 0, finite) and sampling rate Q (in (0, 1]); throws
    /// naming the setting otherwise.
    public init(noiseMultiplier: Double, samplingRate: Double, orders: [Double] = RenyiOrders.standard) throws(PrivacyError) {
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
            throw PrivacyError(field: "noise-multiplier", "is \(noiseMultiplier); it must be a finite number above 0")
        }
        let sampler = try PoissonSampler(rate: samplingRate)
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = sampler.rate
        self.orders = orders
        renyiPerRound = orders.map { SampledGaussianRenyi(q: samplingRate, sigma: noiseMultiplier).divergence(order: $0) }
    }

    /// The epsilon spent after `rounds` rounds at `delta`: the smallest over the orders.
    public func epsilon(rounds: Int, delta: Double) throws(PrivacyError) -> PrivacySpent {
        try Self.check(delta: delta)
        guard (0...Self.maximumRounds).contains(rounds) else {
            throw PrivacyError(field: "rounds", "is \(rounds); it must be between 0 and \(Self.maximumRounds)")
        }
        var best = PrivacySpent(epsilon: .infinity, delta: delta, rounds: rounds, order: orders.first ?? 0)
        for (order, perRound) in zip(orders, renyiPerRound) {
            // 0 rounds spend nothing, even at an order whose per-round divergence is infinite.
            let candidate = Self.epsilon(order: order, renyi: rounds == 0 ? 0 : Double(rounds) * perRound, delta: delta)
            if candidate < best.epsilon { best = PrivacySpent(epsilon: candidate, delta: delta, rounds: rounds, order: order) }
        }
        return best
    }

    /// The most rounds whose epsilon at `delta` stays within `maxEpsilon` (0 when even one round spends
    /// more; `maximumRounds` when that many still fit).
    public func maxRounds(epsilon maxEpsilon: Double, delta: Double) throws(PrivacyError) -> Int {
        guard maxEpsilon > 0, maxEpsilon.isFinite else {
            throw PrivacyError(field: "max-epsilon", "is \(maxEpsilon); it must be a finite number above 0")
        }
        // Epsilon grows with the rounds, so a binary search finds the last round within the budget.
        var (within, beyond) = (0, Self.maximumRounds + 1)
        while beyond - within > 1 {
            let middle = within + (beyond - within) / 2
            if try epsilon(rounds: middle, delta: delta).epsilon <= maxEpsilon { within = middle } else { beyond = middle }
        }
        return within
    }

    /// Refuses a delta outside (0, 1).
    static func check(delta: Double) throws(PrivacyError) {
        guard delta > 0, delta < 1 else { throw PrivacyError(field: "delta", "is \(delta); it must be above 0 and below 1") }
    }

    /// dp-accounting's `compute_epsilon` at one order: 0 when the KL bound already gives delta, the
    /// improved conversion eps = rdp + log1p(-1/α) - log(δα)/(α-1) above order 1.01, else infinity.
    static func epsilon(order: Double, renyi: Double, delta: Double) -> Double {
        if renyi < 0 || delta * delta + expm1(-renyi) > 0 { return 0 }
        guard order > 1.01 else { return .infinity }
        return max(0, renyi + log1p(-1 / order) - log(delta * order) / (order - 1))
    }
}
