public import Privacy

/// User-level DP-FedAvg (McMahan et al., "Learning Differentially Private Recurrent Language Models",
/// ICLR 2018): each update's difference from the global model is clipped to L2 norm C, the clipped
/// differences are summed, discrete Gaussian noise of standard deviation Z·C per coordinate is added,
/// and the sum is divided by the public constant D (`expected-updates`) and added to the global model.
///
/// Dividing by D rather than by the number of updates is what bounds one device's effect on the
/// released model to C/D whether it takes part or not, so the count of updates needs no noise. Updates
/// count equally: sample counts are claims a device makes, and weighing by them would raise its reach
/// above C. The mechanism runs on the integer grid of `NoiseGrid`; only the final scaling and float32
/// rounding are floating point, and those are post-processing (docs/privacy.md).
public struct DPFedAvg: AggregationRule {
    /// C, Z and D (the sampling rate, delta and budget are the runtime's and the accountant's).
    public let settings: PrivacySettings
    /// The grid the clipped sum and its noise live on.
    public let grid: NoiseGrid
    /// The noise; `SecureGaussianNoise` outside tests.
    let noise: any NoiseSource

    /// The rule for `settings`, which must pass `PrivacySettings.validate()`; `noise` is for tests.
    public init(settings: PrivacySettings, noise: any NoiseSource = SecureGaussianNoise()) throws(WordModelError) {
        do {
            try settings.validate()
        } catch {
            throw .invalidSetting(name: "privacy \(error.field)", value: "", expected: error.reason)
        }
        guard let grid = NoiseGrid(clipNorm: settings.clipNorm, noiseMultiplier: settings.noiseMultiplier) else {
            // validate() checks the ranges NoiseGrid needs, so this is a broken invariant, not bad input.
            throw .invalidSetting(
                name: "privacy noise-multiplier", value: "\(settings.noiseMultiplier)", expected: "a value the noise grid supports")
        }
        self.settings = settings
        self.grid = grid
        self.noise = noise
    }

    /// "DP-FedAvg (clip norm C, noise multiplier Z, expected updates D)".
    public var description: String {
        "DP-FedAvg (clip norm \(settings.clipNorm), noise multiplier \(settings.noiseMultiplier), "
            + "expected updates \(settings.expectedUpdates))"
    }

    /// The global model plus the noisy clipped sum over D.
    public func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights {
        let count = ModelWeights.parameterCount
        var sum = [Int64](repeating: 0, count: count)
        for update in input.updates {
            // Each clipped difference has coordinates below 2^27 steps (C is at most 2^20 · 101 steps), so
            // the sum of the updates a round can hold in memory cannot overflow an Int64.
            for (index, steps) in clippedSteps(update, around: input.global).enumerated() { sum[index] += steps }
        }
        let drawn = noise.noise(count, from: grid.noise)
        guard drawn.count == count else {
            throw .aggregation("\(self): the noise source gave \(drawn.count) values for \(count) parameters")
        }
        let scale = grid.step / settings.expectedUpdates
        var next = [Float](repeating: 0, count: count)
        for index in 0..<count {
            next[index] = Float(Double(input.global.parameters[index]) + (Double(sum[index]) + Double(drawn[index])) * scale)
        }
        // With today's bounds (C <= 1e6, noise below 2^63 steps) the result stays below float32's largest
        // value plus less than half its spacing there, so this cannot fire; it keeps ModelWeights' promise
        // of finite values if those bounds ever change.
        if let bad = next.firstIndex(where: { !$0.isFinite }) {
            throw .aggregation("\(self): parameter \(bad) of the noisy model is \(next[bad]), expected a finite value")
        }
        return ModelWeights(unchecked: next)
    }

    /// `update - global`, in grid steps, clipped to `grid.clipBound` and rounded to integers: a vector
    /// of L2 norm at most the clip norm C. Double arithmetic: the difference of two finite floats can
    /// overflow float32.
    func clippedSteps(_ update: ModelWeights, around global: ModelWeights) -> [Int64] {
        let bound = grid.clipBound(dimension: ModelWeights.parameterCount) * grid.step
        let distance = update.distance(to: global)
        let factor = (distance > bound ? bound / distance : 1) / grid.step
        return zip(update.parameters, global.parameters).map { value, center in
            Int64(((Double(value) - Double(center)) * factor).rounded())
        }
    }
}
