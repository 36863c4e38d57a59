import ByteKit
public import Foundation
public import Policy

/// The certifier's `/status`: the policy in force with the roles and their accepted measurements, the
/// last admissions and refusals with their reasons, and a few counts. No evidence, no key, no secret.
public struct CertifierStatus: Encodable, Sendable {
    /// "certifier".
    public let role: String
    /// The certifier's version.
    public let version: String
    /// The policy in force.
    public let policy: PolicySummary
    /// The last admissions, oldest first.
    public let admissions: [DecisionRecord]
    /// The last refusals, oldest first.
    public let refusals: [DecisionRecord]
    /// Nonces issued and not yet forgotten; nil with a database store, where the replicas share them.
    public let nonces: Int?
    /// The version of the revocation list served.
    public let revocationListVersion: UInt64
    /// When this status was taken.
    public let time: String

    /// The status of `service` now, reporting `version`.
    public init(service: CertifierService, version: String, now: Date = Date()) {
        role = "certifier"
        self.version = version
        let snapshot = service.snapshot
        policy = PolicySummary(document: snapshot.policy.document, sha256: snapshot.hash)
        admissions = service.recent.admissions
        refusals = service.recent.refusals
        nonces = service.store.noncesHeld
        revocationListVersion = service.revocationList.version
        time = UTCTimeText.format(now)
    }
}
