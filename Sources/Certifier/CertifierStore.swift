public import Foundation
public import Policy

/// Where the certifier keeps what changes while it serves: nonces, the audit log (with the admissions it
/// records and the secrets released with them), and the revocation list.
///
/// `DirectoryStore` is the state folder, for one certifier process; `PostgresStore` is a database that
/// any number of replicas of one domain share. The keys and secrets stay in each replica's state folder.
public protocol CertifierStore: Sendable {
    /// What the store is, for logs: the folder or the database (never a password).
    var description: String { get }

    /// The nonces this process holds, issued and not yet forgotten, for the status; nil where replicas
    /// share them in a database (counting them there would cost a query per status poll).
    var noncesHeld: Int? { get }

    /// Issues a fresh nonce to connection `owner`, replacing any it had, valid for `lifetime` seconds.
    func issueNonce(to owner: UInt64, now: Date, lifetime: TimeInterval) throws(CertifierError) -> NonceStore.Issued

    /// Redeems a nonce once: `presented` (the nonce the client names, possibly issued by another
    /// replica), or else the one issued to connection `owner`; returns it, or why it cannot be used.
    func redeemNonce(for owner: UInt64, presented: [UInt8]?, now: Date) throws(CertifierError) -> Result<[UInt8], NonceRefusal>

    /// Appends `entry` to the audit log; throws if it could not be recorded.
    func append(_ entry: AuditEntry) throws(CertifierError)

    /// Records an admission (its `admitted` entry) and the secrets released with it, all or nothing;
    /// throws, and the admission must not be made, if it could not be recorded.
    func recordAdmission(_ entry: AuditEntry, released: [SecretID]) throws(CertifierError)

    /// The audit entries from `since` on (all when nil), oldest first.
    func auditEntries(since: Date?) throws(CertifierError) -> [AuditEntry]

    /// The admissions the audit log records.
    func issuedAdmissions() throws(CertifierError) -> IssuedAdmissions

    /// The revocation list now (version 0 when none was written).
    func revocations() throws(CertifierError) -> RevocationList

    /// Adds `entries` (serials already listed are skipped) as a new version issued at `now`, and returns
    /// the list; nothing is written when every serial was listed already.
    @discardableResult
    func revoke(_ entries: [RevocationList.Entry], now: Date) throws(CertifierError) -> RevocationList

    /// The runtimes' freshness anchors.
    var anchors: any FederationAnchors { get }

    /// Starts a new audit file after an outside rotation (SIGHUP); nothing to do for a database.
    func reopenAuditLog() throws(CertifierError)
}
