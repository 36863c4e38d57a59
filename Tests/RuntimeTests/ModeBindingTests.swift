import Runtime
import TestSupport
import Testing

/// The host picks `--mode`; the signed policy decides. A federation restarted in ML mode would drop
/// its rounds as garbage and then lose what ML mode acknowledged, so an FL policy is served in FL mode only.
@Test func aPolicyWithFLSettingsIsNotServedInMLMode() throws {
    let refused = #expect(throws: RuntimeError.self) {
        _ = try RuntimeFixture(policy: TestDomain.flPolicy(), configuration: .init(mode: .ml))
    }
    #expect(refused?.code == .misconfigured)
    #expect(refused?.message
        == "the policy sets \"fl\" settings, so this runtime serves FL mode only (--mode fl): a federation's state is not served in ML mode")
    // The same policy in FL mode serves.
    let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(), configuration: .init(mode: .fl))
    runtime.cleanUp()
}
