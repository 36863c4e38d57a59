import Foundation

/// Arithmetic on logarithms of probabilities, for the accountant: its terms run from e^-1000 to e^1000,
/// far outside a Double, while their logarithms stay small.
enum LogSpace {
    /// log(e^x + e^y), exact for -infinity (a zero term).
    static func add(_ x: Double, _ y: Double) -> Double {
        let (low, high) = (min(x, y), max(x, y))
        guard low > -.infinity else { return high }
        return log1p(exp(low - high)) + high
    }

    /// log(n choose k) for real n and k, through log|Γ| (as scipy's gammaln, for the fractional orders).
    static func binomial(_ n: Double, _ k: Double) -> Double {
        logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
    }

    /// log|Γ(x)|; `lgamma_r` rather than `lgamma`, which writes the global `signgam` and so races.
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// log(erfc(x)), accurate where erfc underflows: past x = 25 (erfc(25) ≈ 8e-274, near the bottom
    /// of the Double range) the asymptotic series, as dp-accounting's fallback uses.
    static func erfcLog(_ x: Double) -> Double {
        guard x > 25 else { return log(erfc(x)) }
        let square = x * x
        return -log(Double.pi) / 2 - log(x) - square - 0.5 / square + 0.625 / (square * square)
            - 37.0 / 24.0 / (square * square * square) + 353.0 / 64.0 / (square * square * square * square)
    }
}
