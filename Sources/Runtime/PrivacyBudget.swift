public import Privacy
public import WordModel

/// The privacy budget of a federation under `fl.privacy`: how many rounds DP-FedAvg may release before
/// epsilon (at the policy's delta) would pass `max-epsilon`, and what a number of released rounds spent.
/// The released rounds themselves are part of the sealed, anchored round state (`FederationFiles`), so
/// neither a restart nor a new runtime binary resets them.
public struct PrivacyBudget: Sendable {
    /// The policy's `fl.privacy`.
    public let settings: PrivacySettings
    /// The accountant of the settings' noise multiplier and sampling rate.
    public let accountant: PrivacyAccountant
    /// Poisson sampling at the settings' rate, over the CSPRNG.
    public let sampler: PoissonSampler
    /// The most rounds whose release stays within `max-epsilon` (at least 1: the policy checks it).
    public let maxRounds: UInt64

    /// The budget of `settings`; throws naming a setting out of range.
    public init(_ settings: PrivacySettings) throws(RuntimeError) {
        do {
            try settings.validate()
            accountant = try settings.accountant()
            maxRounds = UInt64(try accountant.maxRounds(epsilon: settings.maxEpsilon, delta: settings.delta))
            sampler = try PoissonSampler(rate: settings.samplingRate)
        } catch {
            throw RuntimeError(.policyUnusable, "the policy's fl.privacy.\(error.field) \(error.reason)", cause: error)
        }
        self.settings = settings
    }

    /// Whether a round may still be opened (and its aggregate released) after `released` rounds.
    public func allowsRound(after released: UInt64) -> Bool {
        released < maxRounds
    }

    /// The epsilon (at the settings' delta) spent by `released` rounds.
    public func epsilon(after released: UInt64) -> Double {
        // Within the accountant's range (maxRounds is), it cannot throw; beyond it nothing is promised.
        guard released <= maxRounds, let spent = try? accountant.epsilon(rounds: Int(released), delta: settings.delta) else {
            return .infinity
        }
        return spent.epsilon
    }

    /// The record a global model released after `released` rounds carries in its blob.
    public func record(released: UInt64) -> ModelPrivacy {
        ModelPrivacy(
            epsilon: epsilon(after: released), delta: settings.delta, rounds: released, noiseMultiplier: settings.noiseMultiplier,
            samplingRate: settings.samplingRate, clipNorm: settings.clipNorm)
    }

    /// "epsilon 1.23 of 2.0 at delta 1e-05 after 40 of 55 rounds".
    public func describe(released: UInt64) -> String {
        return "epsilon \(epsilon(after: released)) of \(settings.maxEpsilon) at delta \(settings.delta) after \(released) of \(maxRounds) rounds"
    }
}
