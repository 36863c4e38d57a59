import Attestation
import ByteKit
public import Foundation
public import Logging
import OpenSSLKit
public import Policy

/// Everything the certifier derives from one signed policy, made once and never changed: a reload
/// makes a new snapshot and swaps it in whole, so an attestation in flight finishes under the policy it
/// started with, and its certificate names that policy's hash.
public final class PolicySnapshot: Sendable {
    /// The verified policy.
    public let policy: SignedPolicy
    /// The SHA-256 of the signed policy's bytes, which every admission certificate records.
    public let hash: [UInt8]
    /// The name and hash as audit lines record them.
    public let auditName: AuditEntry.PolicyName
    /// The certificates' issuer, with the policy's admission lifetime.
    public let issuer: AdmissionIssuer
    /// The policy's cap on admissions per platform and hour; nil when it sets none.
    public let rateLimit: AdmissionRateLimit?
    /// The secrets each role receives, by role and name.
    let secrets: [String: [String: [UInt8]]]
    /// The token verifier, trusting the policy's platform keys.
    let verifier: CCAVerifier

    /// The snapshot of the signed policy `policyBytes`, which must verify under `state`'s policy
    /// certificate and pass the policy's validation, and whose admission lifetime must end before the
    /// issuing certificate expires (counted from `now`). Secrets the policy names but the state lacks are
    /// made (and logged). The rate-limit window of `previous` carries over, so a reload does not reset it.
    public init(
        state: CertifierState, policyBytes: [UInt8], logger: Logger, previous: PolicySnapshot? = nil, now: Date = Date()
    ) throws(CertifierError) {
        let policy: SignedPolicy
        do {
            policy = try SignedPolicy(opening: policyBytes, policyCertificate: state.policyCertificate)
        } catch {
            throw CertifierError(.policyRefused, "refusing to serve this policy: \(error)", cause: error)
        }
        // Validation (run by SignedPolicy) refused a policy defining the certifier's own role.
        let document = policy.document
        let lifetime = TimeInterval(document.admissionLifetimeSeconds)
        guard !state.issuingExpires(within: lifetime, of: now) else {
            throw CertifierError(
                .issuerRefused, "\(state.path(CertifierState.Files.issuingCertificate)) expires at \(UTCTimeText.format(state.issuingCertificate.notAfter)), "
                    + "within the policy's admission lifetime (\(document.admissionLifetimeSeconds) s): issue a new one with `cml-certifier issuer "
                    + "--state \(state.directory) --policy-key FILE` on the machine that holds the policy key, then restart")
        }
        let anchors: [PlatformTrustAnchor]
        do {
            anchors = try document.trustAnchors()
        } catch {
            throw CertifierError(.policyRefused, "refusing to serve this policy: \(error)", cause: error)
        }
        var wanted: [SecretID] = []
        for (role, rolePolicy) in document.roles {
            for name in rolePolicy.secrets { wanted.append(try SecretID(role: role, name: name)) }
        }
        for made in try state.ensureSecrets(wanted) {
            logger.notice("made secret \(made), which the policy releases and the state did not have")
        }
        var secrets: [String: [String: [UInt8]]] = [:]
        for id in wanted {
            guard let value = try state.secret(id) else { throw CertifierError(.secretMissing, "secret \(id) is missing after it was made") }
            secrets[id.role, default: [:]][id.name] = value
        }
        self.policy = policy
        self.hash = Digest.sha256.hash(policy.bytes)
        self.auditName = AuditEntry.PolicyName(name: document.name ?? "unnamed", sha256: hash)
        self.issuer = AdmissionIssuer(issuingKey: state.issuingKey, issuingCertificate: state.issuingCertificate, lifetime: lifetime)
        self.rateLimit = document.maxAdmissionsPerPlatformPerHour.map { AdmissionRateLimit(limit: $0, continuing: previous?.rateLimit) }
        self.secrets = secrets
        self.verifier = CCAVerifier(trustAnchors: anchors)
    }

    /// `policy "NAME" (SHA-256 0123abcd...)`, for log lines.
    public var description: String {
        "\(policy.document.displayName) (SHA-256 \(Hex.short(hash)))"
    }
}
