import Policy
import Privacy
import Runtime
import Testing

/// A runtime does not serve a promise it does not keep.
@Test func aPolicyPromisingDifferentialPrivacyIsRefusedUntilTheRuntimeEnforcesIt() throws {
    let privacy = PrivacySettings(
        clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.5, expectedUpdates: 10, delta: 1e-5, maxEpsilon: 10)
    let settings = FederatedSettings(minUpdates: 2, quorum: 1, roundDeadlineSeconds: 60, privacy: privacy)
    try settings.validate()
    let refused = #expect(throws: RuntimeError.self) { try FederationRules(settings) }
    #expect(refused?.message.hasPrefix("the policy sets fl.privacy, which this runtime does not enforce yet") == true)
}
