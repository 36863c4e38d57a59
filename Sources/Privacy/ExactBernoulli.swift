/// Coins of exact rational bias, and of bias exp(-γ) for rational γ (Canonne, Kamath and Steinke 2020,
/// Algorithm 1): integer arithmetic only, so no floating-point rounding shapes the distribution.
enum ExactBernoulli {
    /// True with probability `numerator / denominator` (numerator <= denominator, denominator >= 1).
    static func rational(_ numerator: UInt128, over denominator: UInt128, _ bits: some RandomBits) -> Bool {
        bits.uniform(below: denominator) < numerator
    }

    /// True with probability `numerator / (denominator · k)`, without forming the product (which could
    /// overflow): W = u·k + v with u uniform below `denominator` and v below `k` is uniform below
    /// denominator·k, and W < numerator exactly when u < numerator / k, or u equals it and
    /// v < numerator mod k.
    static func rational(
        _ numerator: UInt128, over denominator: UInt128, dividedBy k: UInt128, _ bits: some RandomBits
    ) -> Bool {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: k)
        let u = bits.uniform(below: denominator)
        if u != quotient { return u < quotient }
        return bits.uniform(below: k) < remainder
    }

    /// True with probability exp(-numerator / denominator) (denominator >= 1): exp(-1) once per whole
    /// unit of γ, each stopping at the first false, then the fractional part.
    static func exponential(_ numerator: UInt128, over denominator: UInt128, _ bits: some RandomBits) -> Bool {
        var (whole, fraction) = numerator.quotientAndRemainder(dividingBy: denominator)
        while whole > 0 {
            guard exponentialAtMostOne(1, over: 1, bits) else { return false }
            whole -= 1
        }
        return exponentialAtMostOne(fraction, over: denominator, bits)
    }

    /// exp(-γ) for γ = numerator / denominator in [0, 1]: K is the first k with Bernoulli(γ / k) false,
    /// and P(K odd) = exp(-γ) (CKS 2020, Algorithm 1).
    private static func exponentialAtMostOne(
        _ numerator: UInt128, over denominator: UInt128, _ bits: some RandomBits
    ) -> Bool {
        var k: UInt128 = 1
        while rational(numerator, over: denominator, dividedBy: k, bits) { k += 1 }
        return k % 2 == 1
    }
}
