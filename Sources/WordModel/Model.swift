/// A word model as it travels between roles: its weights, its generation and how many samples made it.
public struct Model: Sendable, Equatable {
    /// The SimpleRNN weights.
    public var weights: ModelWeights
    /// The FL round or training generation that produced these weights.
    public var round: UInt64
    /// How many samples produced this model (FedAvg weighs models by it).
    public var samples: UInt64
    /// The privacy spent up to this model when DP-FedAvg released it; nil otherwise.
    public var privacy: ModelPrivacy?

    /// A model with the given weights, round, sample count and privacy record.
    public init(weights: ModelWeights, round: UInt64 = 0, samples: UInt64 = 0, privacy: ModelPrivacy? = nil) {
        self.weights = weights
        self.round = round
        self.samples = samples
        self.privacy = privacy
    }

    /// A fresh, untrained model initialised from `seed` (round 0, no samples).
    public init(seed: UInt64) {
        self.init(weights: ModelWeights(seed: seed))
    }
}
