/// Where DP-FedAvg's noise comes from: `SecureGaussianNoise` (the CSPRNG) unless a test injects another.
public protocol NoiseSource: Sendable {
    /// `count` independent draws of `distribution`, in grid steps.
    func noise(_ count: Int, from distribution: DiscreteGaussian) -> [Int64]
}

/// Discrete Gaussian noise drawn from OpenSSL's CSPRNG: never seeded, so never replayed.
public struct SecureGaussianNoise: NoiseSource {
    /// The source.
    public init() {}

    /// `count` draws from fresh CSPRNG output.
    public func noise(_ count: Int, from distribution: DiscreteGaussian) -> [Int64] {
        distribution.samples(count, using: SecureRandomBits())
    }
}
