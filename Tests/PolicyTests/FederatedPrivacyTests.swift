import Foundation
import Policy
import Privacy
import Testing

/// `fl.privacy`: read from the policy, checked by `FederatedSettings.validate` with the field named.
@Suite struct FederatedPrivacyTests {
    static var privacy: [String: Any] { [
        "clip-norm": 1.5, "noise-multiplier": 1.1, "sampling-rate": 0.01, "expected-updates": 100, "delta": 1e-5, "max-epsilon": 8,
    ] }

    /// A policy whose `fl` is FedAvg with `privacy` (edited by `edit`), then `extra` keys of `fl`.
    static func json(aggregation: String = "fedavg", extra: [String: Any] = [:], _ edit: (inout [String: Any]) -> Void = { _ in }) -> [UInt8] {
        var privacy = Self.privacy
        edit(&privacy)
        return PolicyDocumentTests.json {
            var fl: [String: Any] = ["aggregation": aggregation, "min-updates": 2, "quorum": 1, "round-deadline-seconds": 30, "privacy": privacy]
            fl.merge(extra) { $1 }
            $0["fl"] = fl
        }
    }

    @Test func readsThePrivacySettings() throws {
        let policy = try PolicyDocument(json: Self.json())
        #expect(policy.federated?.privacy == PrivacySettings(
            clipNorm: 1.5, noiseMultiplier: 1.1, samplingRate: 0.01, expectedUpdates: 100, delta: 1e-5, maxEpsilon: 8))
        #expect(try PolicyDocument(json: policy.jsonBytes()) == policy)
    }

    /// DP cannot be combined with a robust rule, whose output is not the clipped sum the noise is
    /// calibrated to.
    @Test(arguments: [("median", [:]), ("trimmed-mean", ["trim-fraction": 0.1])] as [(String, [String: any Sendable])])
    func refusesARobustRule(rule: String, extra: [String: any Sendable]) {
        let error = #expect(throws: PolicyError.self) { try PolicyDocument(json: Self.json(aggregation: rule, extra: extra)) }
        #expect(error?.path == "fl.aggregation")
        #expect(error?.description.contains("is \(rule), which cannot be combined with fl.privacy") == true)
    }

    @Test func refusesASecondClipNorm() {
        #expect(throws: PolicyError(path: "fl.clip-norm", "must not be set with fl.privacy, which clips each update to fl.privacy.clip-norm")) {
            try PolicyDocument(json: Self.json(extra: ["clip-norm": 20]))
        }
    }

    @Test(arguments: [
        ("clip-norm", 0.0, "is 0.0; it must be above 0 and at most 1000000.0"),
        ("noise-multiplier", -1.0, "is -1.0; it must be above 0 and at most 100.0"),
        ("sampling-rate", 1.5, "is 1.5; it must be above 0 and at most 1"),
        ("expected-updates", 0.0, "is 0.0; it must be above 0 and at most 1000000000.0"),
        ("delta", 1.0, "is 1.0; it must be above 0 and below 1"),
        ("max-epsilon", -2.0, "is -2.0; it must be a finite number above 0"),
    ])
    func namesTheFieldOutOfRange(field: String, value: Double, reason: String) {
        #expect(throws: PolicyError(path: "fl.privacy.\(field)", reason)) {
            try PolicyDocument(json: Self.json { $0[field] = value })
        }
    }

    /// A budget that one round already exceeds is refused when the policy is checked, not found out at
    /// the first round.
    @Test func refusesABudgetOneRoundExceeds() {
        let error = #expect(throws: PolicyError.self) {
            try PolicyDocument(json: Self.json { $0["sampling-rate"] = 1; $0["noise-multiplier"] = 0.5; $0["max-epsilon"] = 1 })
        }
        #expect(error?.path == "fl.privacy.max-epsilon")
        #expect(error?.description.contains("one round already spends epsilon") == true)
    }
}
