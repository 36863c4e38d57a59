import ByteKit
public import Channel
public import Policy
public import Protocol
public import WordModel

/// The terms of federated rounds, from the signed policy's `fl` settings: the aggregation rule every
/// party agreed to, and when a round closes.
public struct FederationRules: Sendable, CustomStringConvertible {
    /// How the updates of a round are combined: FedAvg, CoordinateMedian or TrimmedMean, wrapped in
    /// NormClipping when the policy sets `clip-norm`; DPFedAvg when it sets `fl.privacy`.
    public let rule: any AggregationRule
    /// A round closes as soon as it has this many updates.
    public let minUpdates: Int
    /// At its deadline a round closes if it has at least this many updates.
    public let quorum: Int
    /// How long after a round opens its deadline falls.
    public let deadline: Duration
    /// The most samples one update may claim (`fl.max-samples-per-update`, or its default).
    public let maxSamplesPerUpdate: UInt64
    /// The DP-FedAvg budget when the policy sets `fl.privacy`: devices are Poisson-sampled into each
    /// round and no round opens past `max-epsilon`.
    public let privacy: PrivacyBudget?
    /// Whose updates count once per round: each platform's, or each certificate's (`fl.one-update-per`).
    public let oneUpdatePer: FederatedSettings.UpdateCounting

    /// The rules of `settings`: fedavg -> FedAvg, median -> CoordinateMedian, trimmed-mean ->
    /// TrimmedMean(β); `clip-norm` wraps the rule in NormClipping; `fl.privacy` makes it DPFedAvg. Throws naming a setting out of range.
    public init(_ settings: FederatedSettings) throws(RuntimeError) {
        // The policy's own check (which signed policies passed already), so settings made in code meet
        // the same ranges and nothing below can overflow.
        do {
            try settings.validate()
        } catch {
            throw RuntimeError(.policyUnusable, "the policy's fl settings are invalid: \(error)", cause: error)
        }
        do {
            var rule: any AggregationRule
            switch settings.aggregation {
            case .fedAvg:
                rule = FedAvg()
            case .median:
                rule = CoordinateMedian()
            case .trimmedMean:
                guard let beta = settings.trimFraction else {
                    throw RuntimeError(.policyUnusable, "the policy's fl.aggregation is trimmed-mean but it sets no fl.trim-fraction")
                }
                rule = try TrimmedMean(trimFraction: beta)
            }
            if let bound = settings.clipNorm {
                rule = try NormClipping(bound: bound, base: rule)
            }
            // The policy's validation refuses fl.privacy beside another rule or clip-norm, so DP-FedAvg
            // replaces FedAvg here rather than wrapping anything.
            if let privacy = settings.privacy {
                rule = try DPFedAvg(settings: privacy)
                self.privacy = try PrivacyBudget(privacy)
            } else {
                self.privacy = nil
            }
            self.rule = rule
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(.policyUnusable, "the policy's fl settings are out of range: \(error)", cause: error)
        }
        minUpdates = settings.minUpdates
        quorum = settings.quorum
        // validate() bounds it to 30 days, so the milliseconds fit an Int64.
        deadline = .milliseconds(Int64((settings.roundDeadlineSeconds * 1000).rounded()))
        maxSamplesPerUpdate = UInt64(settings.samplesPerUpdateCap)
        oneUpdatePer = settings.updateCounting
    }

    /// The rules of `policy`'s `fl` settings; throws if it has none.
    public init(policy: PolicyDocument) throws(RuntimeError) {
        guard let settings = policy.federated else {
            throw RuntimeError(.policyUnusable, "the policy has no \"fl\" settings, so this runtime cannot serve FL mode (sign a policy from policy-templates/fl.json)")
        }
        try self.init(settings)
    }

    /// "FedAvg; a round closes at 2 updates, or at its 60 s deadline with at least 1".
    public var description: String {
        let seconds = deadline.inSeconds
        let shown = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
        return "\(rule); a round closes at \(minUpdates) update\(minUpdates == 1 ? "" : "s"), "
            + "or at its \(shown) s deadline with at least \(quorum); one update per \(oneUpdatePer.rawValue)"
            + (privacy.map { "; devices sampled with probability \($0.settings.samplingRate), at most \($0.maxRounds) rounds within epsilon \($0.settings.maxEpsilon)" } ?? "")
    }
}

extension FederationRules {
    /// Checks what an update claims, whichever store keeps the rounds: `bad-request` for no samples, more
    /// than the policy's cap, or a loss that is NaN, infinite or negative.
    public func check(_ update: UpdateRequest) throws(ChannelError) {
        guard update.samples >= 1 else {
            throw ChannelError(.badRequest, "\"samples\" is 0: an update must say how many samples (at least 1) it was trained on")
        }
        guard update.samples <= maxSamplesPerUpdate else {
            throw ChannelError(
                .badRequest,
                "\"samples\" is \(update.samples), over the policy's cap of \(maxSamplesPerUpdate) samples per update (fl.max-samples-per-update)")
        }
        if let loss = update.loss, !(loss.isFinite && loss >= 0) {
            // A mean of cross-entropies is a finite number, 0 or more: anything else would poison the round's mean.
            throw ChannelError(.badRequest, "\"loss\" is \(loss): a loss must be a finite number, 0 or more (the mean loss of the last local epoch)")
        }
    }

    /// The platform instance (hex) a device's update or join counts under, once its certificate's serial is
    /// checked: `not-authorized` if the serial is not hexadecimal, or if the policy counts one update per
    /// platform and the certificate names none.
    public func countedPlatform(serial: String, platform: [UInt8]?) throws(ChannelError) -> String? {
        guard !serial.isEmpty, serial.allSatisfy(\.isHexDigit) else {
            throw ChannelError(.notAuthorized, "the device certificate's serial \"\(serial)\" is not hexadecimal")
        }
        if oneUpdatePer == .platform, platform == nil {
            throw ChannelError(
                .notAuthorized,
                "the device certificate (serial \(serial.prefix(8))...) names no platform instance, and the policy counts one update "
                    + "per platform (fl.one-update-per); attest again with this domain's certifier")
        }
        return platform.map { Hex.encode($0) }
    }
}
