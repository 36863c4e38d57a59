/// The integer grid DP-FedAvg works on: clipped updates are rounded to multiples of `step`, summed as
/// integers, and get discrete Gaussian noise of σ = `sigma` steps, so the whole mechanism before the
/// final scaling is integer arithmetic.
///
/// σ is 2^20 · ⌈max(1, Z)⌉ steps and one step is Z·C/σ, so C is `sensitivity` = σ/Z >= 2^20 steps and
/// the noise multiplier is exactly σ / sensitivity = Z. Rounding a vector of d coordinates to the grid
/// moves it by at most √d/2 steps, so updates are clipped to `clipBound(dimension:)` = sensitivity -
/// √d/2 - 1 steps (the 1 absorbs floating-point error) and their rounded sum still moves by at most
/// C per device. For the model's 1,596 coordinates that shrinks C by at most 21 / 2^20 (0.002%).
public struct NoiseGrid: Sendable, Hashable {
    /// The noise: σ in grid steps.
    public let noise: DiscreteGaussian
    /// One grid step in parameter units.
    public let step: Double
    /// The clip norm C in grid steps.
    public let sensitivity: Double

    /// The grid for clip norm C and noise multiplier Z, or nil outside `PrivacySettings`' ranges.
    public init?(clipNorm: Double, noiseMultiplier: Double) {
        guard clipNorm > 0, clipNorm <= PrivacySettings.maximumClipNorm,
            noiseMultiplier > 0, noiseMultiplier <= PrivacySettings.maximumNoiseMultiplier,
            let noise = DiscreteGaussian(sigma: (1 << 20) * UInt64(max(1, noiseMultiplier.rounded(.up))))
        else { return nil }
        self.noise = noise
        sensitivity = Double(noise.sigma) / noiseMultiplier
        step = clipNorm / sensitivity
    }

    /// The L2 bound, in grid steps, that a vector of `dimension` coordinates is clipped to before it is
    /// rounded to the grid, so that the rounded vector stays within `sensitivity`.
    public func clipBound(dimension: Int) -> Double {
        sensitivity - Double(max(dimension, 0)).squareRoot() / 2 - 1
    }
}
