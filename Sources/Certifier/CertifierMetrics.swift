import Foundation
import Metrics
import Policy

/// The certifier's figures through swift-metrics (Prometheus names, `cml_` prefix; docs/operations.md,
/// "Watching it"). A role label is a role the policy in force defines or "other", never the text a
/// client claimed, so that the series stay few whatever clients send.
enum CertifierMetrics {
    /// Counts an admission of `role` and records how long the attestation took.
    static func admitted(role: String, policy: PolicyDocument, duration: Duration) {
        Counter(label: "cml_certifier_admissions_total", dimensions: [("role", label(role: role, policy: policy))]).increment()
        attestation(duration: duration)
    }

    /// Counts a refusal of `role` with `code` and records how long the attestation took.
    static func refused(role: String, code: String, policy: PolicyDocument, duration: Duration) {
        Counter(
            label: "cml_certifier_refusals_total", dimensions: [("role", label(role: role, policy: policy)), ("code", code)]
        ).increment()
        attestation(duration: duration)
    }

    /// Counts a nonce issued.
    static func nonceIssued() {
        Counter(label: "cml_certifier_nonces_issued_total").increment()
    }

    /// Counts a nonce that came back after it expired.
    static func nonceExpired() {
        Counter(label: "cml_certifier_nonces_expired_total").increment()
    }

    private static func attestation(duration: Duration) {
        Timer(label: "cml_certifier_attestation_duration_seconds").record(duration: duration)
    }

    /// `role` if the policy defines it, otherwise "other".
    private static func label(role: String, policy: PolicyDocument) -> String {
        policy.roles[role] != nil ? role : "other"
    }
}
