import Foundation

/// Rényi DP of one release of the Poisson-subsampled Gaussian mechanism with sampling rate q and
/// noise multiplier σ (Mironov, Talwar and Zhang 2019), as dp-accounting 0.6.0's
/// `_compute_rdp_poisson_subsampled_gaussian` computes it: log(A_α) / (α - 1).
struct SampledGaussianRenyi {
    let q: Double
    let sigma: Double

    /// The divergence at order `order` (> 1): +infinity where the fractional series does not converge.
    func divergence(order: Double) -> Double {
        if q == 1 { return order / (2 * sigma * sigma) }
        let logA = order.rounded() == order && order < Double(Int32.max) ? logAInteger(Int(order)) : logAFractional(order)
        return logA / (order - 1)
    }

    /// log(A_α) for an integer α: the binomial expansion, summed in log space.
    func logAInteger(_ alpha: Int) -> Double {
        let (logQ, log1mQ) = (log(q), log1p(-q))
        var total = -Double.infinity
        for i in 0...alpha {
            let term = LogSpace.binomial(Double(alpha), Double(i)) + Double(i) * logQ + Double(alpha - i) * log1mQ
            total = LogSpace.add(total, term + Double(i * i - i) / (2 * sigma * sigma))
        }
        return total
    }

    /// The most terms of the fractional series, as dp-accounting.
    static let maximumFractionalTerms = 1000

    /// log(A_α) for a fractional α: the two integrals over (-∞, z0] and [z0, ∞) as series (section 3.3
    /// of the paper), stopped when both terms fall and are e^30 below the total.
    func logAFractional(_ alpha: Double) -> Double {
        var (logA0, logA1) = (-Double.infinity, -Double.infinity)
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let (logQ, log1mQ) = (log(q), log1p(-q))
        var (lastS0, lastS1) = (-Double.infinity, -Double.infinity)
        for index in 0..<Self.maximumFractionalTerms {
            let i = Double(index)
            let j = alpha - i
            let coefficient = LogSpace.binomial(alpha, i)
            let logT0 = coefficient + i * logQ + j * log1mQ
            let logT1 = coefficient + j * logQ + i * log1mQ
            let logE0 = log(0.5) + LogSpace.erfcLog((i - z0) / (2.0.squareRoot() * sigma))
            let logE1 = log(0.5) + LogSpace.erfcLog((z0 - j) / (2.0.squareRoot() * sigma))
            let s0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0
            let s1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1
            logA0 = LogSpace.add(logA0, s0)
            logA1 = LogSpace.add(logA1, s1)
            let total = LogSpace.add(logA0, logA1)
            if s0 < lastS0, s1 < lastS1, max(s0, s1) < total - 30 { return total }
            (lastS0, lastS1) = (s0, s1)
        }
        return .infinity
    }
}
