/// How the runtime runs federated rounds; in the signed policy so every party sees the rule it agreed to.
public struct FederatedSettings: Codable, Hashable, Sendable {
    /// How the runtime combines device models into the global model.
    public enum Aggregation: String, Codable, Sendable, CaseIterable {
        /// Weighted federated averaging, by sample count.
        case fedAvg = "fedavg"
        /// The coordinate-wise median.
        case median = "median"
        /// The coordinate-wise mean after dropping `trim-fraction` of the updates at each end.
        case trimmedMean = "trimmed-mean"
    }

    /// The rule that combines the updates of a round.
    public var aggregation: Aggregation
    /// For trimmed mean: the fraction of updates dropped at each end, per coordinate (0 <= beta < 0.5).
    public var trimFraction: Double?
    /// When set, each update's L2 distance from the global model is clipped to this bound before aggregation.
    public var clipNorm: Double?
    /// A round closes as soon as it has this many updates.
    public var minUpdates: Int
    /// At the deadline a round closes if it has at least this many updates.
    public var quorum: Int
    /// Seconds after a round opens at which it closes with a quorum.
    public var roundDeadlineSeconds: Double

    /// Settings with these values; `validate()` on the policy checks their ranges.
    public init(
        aggregation: Aggregation = .fedAvg, trimFraction: Double? = nil, clipNorm: Double? = nil,
        minUpdates: Int, quorum: Int, roundDeadlineSeconds: Double
    ) {
        self.aggregation = aggregation
        self.trimFraction = trimFraction
        self.clipNorm = clipNorm
        self.minUpdates = minUpdates
        self.quorum = quorum
        self.roundDeadlineSeconds = roundDeadlineSeconds
    }

    enum CodingKeys: String, CodingKey {
        case aggregation
        case trimFraction = "trim-fraction"
        case clipNorm = "clip-norm"
        case minUpdates = "min-updates"
        case quorum
        case roundDeadlineSeconds = "round-deadline-seconds"
    }
}
