/// The discrete Gaussian on the integers, P(x) ∝ exp(-x² / 2σ²) for an integer σ, sampled exactly
/// (Canonne, Kamath and Steinke 2020, Algorithm 3): a discrete Laplace proposal of scale t = σ + 1,
/// kept with probability exp(-(|x| - σ²/t)² / 2σ²), all in integer arithmetic.
///
/// Unlike a floating-point Gaussian, every integer has exactly the probability the formula gives, so
/// the value released reveals nothing beyond it (docs/privacy.md: Mironov's attack on the low bits).
public struct DiscreteGaussian: Sendable, Hashable {
    /// The standard deviation parameter σ, in grid steps.
    public let sigma: UInt64

    /// The largest σ: 2^28 keeps every intermediate product within 128 bits.
    public static let maximumSigma: UInt64 = 1 << 28

    /// The distribution with parameter `sigma` (1 to `maximumSigma`), or nil outside that range.
    public init?(sigma: UInt64) {
        guard (1...Self.maximumSigma).contains(sigma) else { return nil }
        self.sigma = sigma
    }

    /// One draw.
    public func sample(using bits: some RandomBits) -> Int64 {
        let t = sigma + 1
        let laplace = DiscreteLaplace(scale: t)
        let sigmaSquared = UInt128(sigma) * UInt128(sigma)
        // bias = (|x| - σ²/t)² / 2σ² = (|x|·t - σ²)² / (2σ²t²); σ <= 2^28 keeps the denominator below 2^115.
        let denominator = 2 * sigmaSquared * UInt128(t) * UInt128(t)
        while true {
            let candidate = laplace.sample(bits)
            let scaled = UInt128(candidate.magnitude) * UInt128(t)
            let distance = scaled > sigmaSquared ? scaled - sigmaSquared : sigmaSquared - scaled
            // A distance of 2^64 or more means a bias above 2^128 / 2^115 = 8,192: the candidate would be
            // kept with probability below exp(-8192), so refusing it outright changes nothing measurable.
            guard distance <= UInt128(UInt64.max) else { continue }
            if ExactBernoulli.exponential(distance * distance, over: denominator, bits) { return candidate }
        }
    }

    /// `count` independent draws.
    public func samples(_ count: Int, using bits: some RandomBits) -> [Int64] {
        (0..<max(count, 0)).map { _ in sample(using: bits) }
    }
}
