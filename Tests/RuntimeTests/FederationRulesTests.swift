import Policy
import Privacy
import Runtime
import Testing
import WordModel

/// fl.privacy makes the rule DP-FedAvg and gives the rounds a budget: the accountant's rounds within max-epsilon.
@Test func aPolicyWithPrivacyAggregatesWithDPFedAvgWithinItsBudget() throws {
    let privacy = PrivacySettings(
        clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.5, expectedUpdates: 10, delta: 1e-5, maxEpsilon: 10)
    let settings = FederatedSettings(minUpdates: 2, quorum: 1, roundDeadlineSeconds: 60, privacy: privacy)
    try settings.validate()
    let rules = try FederationRules(settings)
    #expect(rules.rule is WordModel.DPFedAvg)
    let budget = try #require(rules.privacy)
    let expected = try privacy.accountant().maxRounds(epsilon: 10, delta: 1e-5)
    #expect(budget.maxRounds == UInt64(expected))
    #expect(budget.allowsRound(after: budget.maxRounds - 1))
    #expect(!budget.allowsRound(after: budget.maxRounds))
    #expect(budget.epsilon(after: budget.maxRounds) <= 10)
}
