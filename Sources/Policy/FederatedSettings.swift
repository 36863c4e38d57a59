public import Privacy

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
    /// The most samples one update may claim; FedAvg weighs an update by its claim, so without a cap one
    /// device claiming 2^64-1 samples would replace the global model (nil: `defaultMaxSamplesPerUpdate`).
    public var maxSamplesPerUpdate: Int?
    /// When set, rounds aggregate with user-level DP-FedAvg under these settings (docs/privacy.md).
    public var privacy: PrivacySettings?

    // One party, one voice (docs/fl.md): what "one update per round" counts.

    /// Whose updates count once per round.
    public enum UpdateCounting: String, Codable, Sendable, CaseIterable {
        /// One update per attesting platform (the instance ID in the device certificate): a platform
        /// that attests as many devices as it likes still gets one voice.
        case platform
        /// One update per admission certificate: every admitted device has a voice, so one platform
        /// attesting many devices has many.
        case certificate

        /// Reads the value, naming both choices when it is neither.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let value = Self(rawValue: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "is \"\(text)\"; it must be \"platform\" or \"certificate\""))
            }
            self = value
        }
    }

    /// Whose updates count once per round (nil: `defaultUpdateCounting`).
    public var oneUpdatePer: UpdateCounting?
    /// Per platform when the policy says nothing: a host that runs the platform can attest any number of
    /// devices, and per certificate each of them is a voice (Sybil devices outvote a median). The cost:
    /// two honest devices on one platform get one voice between them.
    public static let defaultUpdateCounting = UpdateCounting.platform
    /// The counting that applies: `oneUpdatePer`, or the default.
    public var updateCounting: UpdateCounting { oneUpdatePer ?? Self.defaultUpdateCounting }

    /// The cap on an update's samples when the policy sets none: 100,000, far above what one device
    /// trains on (two samples per five-letter word it typed), so honest updates never meet it.
    public static let defaultMaxSamplesPerUpdate = 100_000
    /// The highest cap a policy may set: sums of a round's claims stay exact in a Double.
    public static let maximumSamplesPerUpdate = 1_000_000_000
    /// The largest `min-updates`: one round holds every update in memory.
    public static let maximumMinUpdates = 10_000
    /// The longest round deadline: 30 days, like the longest admission.
    public static let maximumRoundDeadlineSeconds: Double = 30 * 24 * 3600

    /// The cap that applies: `maxSamplesPerUpdate`, or the default.
    public var samplesPerUpdateCap: Int { maxSamplesPerUpdate ?? Self.defaultMaxSamplesPerUpdate }

    /// Settings with these values; `validate()` on the policy checks their ranges.
    public init(
        aggregation: Aggregation = .fedAvg, trimFraction: Double? = nil, clipNorm: Double? = nil,
        minUpdates: Int, quorum: Int, roundDeadlineSeconds: Double, maxSamplesPerUpdate: Int? = nil,
        privacy: PrivacySettings? = nil, oneUpdatePer: UpdateCounting? = nil
    ) {
        self.aggregation = aggregation
        self.trimFraction = trimFraction
        self.clipNorm = clipNorm
        self.minUpdates = minUpdates
        self.quorum = quorum
        self.roundDeadlineSeconds = roundDeadlineSeconds
        self.maxSamplesPerUpdate = maxSamplesPerUpdate
        self.privacy = privacy
        self.oneUpdatePer = oneUpdatePer
    }

    /// Checks every range, naming the key (`fl.round-deadline-seconds`): the one check of these settings,
    /// which the signer, the certifier and the runtime all run.
    public func validate() throws(PolicyError) {
        // `one-update-per` needs no check here: only its two values decode (`UpdateCounting`).
        guard (1...Self.maximumMinUpdates).contains(minUpdates) else {
            throw PolicyError(path: "fl.min-updates", "is \(minUpdates); it must be between 1 and \(Self.maximumMinUpdates)")
        }
        guard (1...minUpdates).contains(quorum) else {
            throw PolicyError(path: "fl.quorum", "must be between 1 and min-updates (\(minUpdates))")
        }
        // Also refuses NaN, which fails every comparison.
        guard roundDeadlineSeconds >= 0.001, roundDeadlineSeconds <= Self.maximumRoundDeadlineSeconds else {
            throw PolicyError(
                path: "fl.round-deadline-seconds",
                "is \(roundDeadlineSeconds); it must be a number of seconds between 0.001 and \(Int(Self.maximumRoundDeadlineSeconds))")
        }
        if let beta = trimFraction {
            guard beta >= 0, beta < 0.5 else { throw PolicyError(path: "fl.trim-fraction", "must be at least 0 and below 0.5") }
        } else if aggregation == .trimmedMean {
            throw PolicyError(path: "fl.trim-fraction", "is required by the trimmed-mean rule")
        }
        if let bound = clipNorm, !(bound > 0 && bound.isFinite) {
            throw PolicyError(path: "fl.clip-norm", "must be a positive number")
        }
        if let cap = maxSamplesPerUpdate, !(1...Self.maximumSamplesPerUpdate).contains(cap) {
            throw PolicyError(
                path: "fl.max-samples-per-update", "is \(cap); it must be between 1 and \(Self.maximumSamplesPerUpdate)")
        }
        if let privacy { try Self.validate(privacy, with: self) }
    }

    /// DP-FedAvg's own checks (`PrivacySettings.validate`, named under `fl.privacy`), and what it cannot
    /// be combined with.
    private static func validate(_ privacy: PrivacySettings, with settings: FederatedSettings) throws(PolicyError) {
        // The noise is calibrated to a sum in which each device moves each released value by at most C/D;
        // a median or trimmed mean is not such a sum, so its sensitivity is not C/D and the accounted epsilon
        // would not hold.
        guard settings.aggregation == .fedAvg else {
            throw PolicyError(
                path: "fl.aggregation",
                "is \(settings.aggregation.rawValue), which cannot be combined with fl.privacy: DP-FedAvg's noise is "
                    + "calibrated to a clipped sum, which a robust rule is not; use fedavg")
        }
        // DP-FedAvg clips to its own clip-norm; a second bound would be redundant or, if smaller, silently
        // change the mechanism the accountant describes.
        guard settings.clipNorm == nil else {
            throw PolicyError(
                path: "fl.clip-norm", "must not be set with fl.privacy, which clips each update to fl.privacy.clip-norm")
        }
        do {
            try privacy.validate()
        } catch {
            throw PolicyError(path: "fl.privacy.\(error.field)", error.reason)
        }
    }

    enum CodingKeys: String, CodingKey {
        case aggregation
        case trimFraction = "trim-fraction"
        case clipNorm = "clip-norm"
        case minUpdates = "min-updates"
        case quorum
        case roundDeadlineSeconds = "round-deadline-seconds"
        case maxSamplesPerUpdate = "max-samples-per-update"
        case privacy
        case oneUpdatePer = "one-update-per"
    }
}
