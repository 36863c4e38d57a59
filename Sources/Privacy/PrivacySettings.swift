/// User-level DP-FedAvg's settings (McMahan et al. 2018), as the signed policy's `fl.privacy` holds them.
public struct PrivacySettings: Codable, Hashable, Sendable {
    /// C: each device's update is clipped to this L2 distance from the round's global model.
    public var clipNorm: Double
    /// Z: the noise's standard deviation is Z · C per coordinate.
    public var noiseMultiplier: Double
    /// Q: the probability that a device is admitted to a round.
    public var samplingRate: Double
    /// D: the public constant the noisy sum is divided by (about Q times the number of devices).
    public var expectedUpdates: Double
    /// δ: the delta the epsilon is stated at.
    public var delta: Double
    /// The most epsilon the rounds may spend, at `delta`.
    public var maxEpsilon: Double

    /// The largest noise multiplier: the mechanism's grid (`NoiseGrid`) keeps σ within the exact
    /// sampler's range up to here, and Z = 100 already drowns every update.
    public static let maximumNoiseMultiplier: Double = 100
    /// The largest clip norm and expected-updates: far above any sensible value, low enough that the
    /// noisy sum stays finite in float32.
    public static let maximumClipNorm: Double = 1e6
    /// The largest `expected-updates`.
    public static let maximumExpectedUpdates: Double = 1e9

    /// Settings with these values; `validate()` checks their ranges.
    public init(
        clipNorm: Double, noiseMultiplier: Double, samplingRate: Double, expectedUpdates: Double, delta: Double, maxEpsilon: Double
    ) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.expectedUpdates = expectedUpdates
        self.delta = delta
        self.maxEpsilon = maxEpsilon
    }

    /// The accountant for these settings' noise multiplier and sampling rate.
    public func accountant() throws(PrivacyError) -> PrivacyAccountant {
        try PrivacyAccountant(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate)
    }

    /// Checks every range and that one round fits within `max-epsilon`, naming the field: the one check,
    /// which `FederatedSettings.validate` and `DPFedAvg` both run. Also refuses NaN, which fails every
    /// comparison.
    public func validate() throws(PrivacyError) {
        guard clipNorm > 0, clipNorm <= Self.maximumClipNorm else {
            throw PrivacyError(field: "clip-norm", "is \(clipNorm); it must be above 0 and at most \(Self.maximumClipNorm)")
        }
        guard noiseMultiplier > 0, noiseMultiplier <= Self.maximumNoiseMultiplier else {
            throw PrivacyError(
                field: "noise-multiplier", "is \(noiseMultiplier); it must be above 0 and at most \(Self.maximumNoiseMultiplier)")
        }
        guard samplingRate > 0, samplingRate <= 1 else {
            throw PrivacyError(field: "sampling-rate", "is \(samplingRate); it must be above 0 and at most 1")
        }
        guard expectedUpdates > 0, expectedUpdates <= Self.maximumExpectedUpdates else {
            throw PrivacyError(
                field: "expected-updates", "is \(expectedUpdates); it must be above 0 and at most \(Self.maximumExpectedUpdates)")
        }
        try PrivacyAccountant.check(delta: delta)
        guard maxEpsilon > 0, maxEpsilon.isFinite else {
            throw PrivacyError(field: "max-epsilon", "is \(maxEpsilon); it must be a finite number above 0")
        }
        let first = try accountant().epsilon(rounds: 1, delta: delta)
        guard first.epsilon <= maxEpsilon else {
            throw PrivacyError(
                field: "max-epsilon",
                "is \(maxEpsilon), but one round already spends epsilon \(first.epsilon) at delta \(delta) (noise multiplier "
                    + "\(noiseMultiplier), sampling rate \(samplingRate)); raise it, or the noise multiplier, or lower the sampling rate")
        }
    }

    enum CodingKeys: String, CodingKey {
        case clipNorm = "clip-norm"
        case noiseMultiplier = "noise-multiplier"
        case samplingRate = "sampling-rate"
        case expectedUpdates = "expected-updates"
        case delta
        case maxEpsilon = "max-epsilon"
    }
}
