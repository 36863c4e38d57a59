public import Foundation
public import Policy

/// The certifier's store in its state folder, for one certifier process (the folder lock keeps it one):
/// nonces in memory, the audit log `DIR/audit.jsonl`, the revocation list `DIR/revocations.json`, the
/// anchors `DIR/anchors/`.
public final class DirectoryStore: CertifierStore {
    /// The nonces issued to connections, in this process only.
    public let nonces: NonceStore
    /// The audit log file.
    public let auditLog: AuditLog
    /// The revocation list file.
    public let revocationStore: RevocationStore
    /// The anchor files, `DIR/anchors/FED.anchor`.
    public let anchors: any FederationAnchors

    /// The store of the state folder `directory`; nonces live `nonceLifetime` seconds unless issued with another.
    public init(directory: String, nonceLifetime: TimeInterval = 60, auditRotation: AuditLog.Rotation = .standard) throws(CertifierError) {
        nonces = NonceStore(lifetime: nonceLifetime)
        auditLog = try AuditLog(path: "\(directory)/\(CertifierState.Files.auditLog)", rotation: auditRotation)
        revocationStore = RevocationStore(directory: directory)
        anchors = AnchorStore(directory: "\(directory)/\(CertifierState.Files.anchors)")
    }

    /// "audit log PATH".
    public var description: String { "audit log \(auditLog.path)" }

    public var noncesHeld: Int? { nonces.count }

    /// Issues from memory.
    public func issueNonce(to owner: UInt64, now: Date, lifetime: TimeInterval) -> NonceStore.Issued {
        nonces.issue(to: owner, now: now, lifetime: lifetime)
    }

    /// Redeems the connection's nonce; a presented nonce must be that one (one process issued every nonce
    /// it can redeem, each on the connection that redeems it).
    public func redeemNonce(for owner: UInt64, presented: [UInt8]?, now: Date) -> Result<[UInt8], NonceRefusal> {
        let result = nonces.redeem(for: owner, now: now)
        if let presented, case .success(let nonce) = result, nonce != presented { return .failure(.unknown) }
        return result
    }

    /// Appends a line to the audit log, synced.
    public func append(_ entry: AuditEntry) throws(CertifierError) {
        try auditLog.append(entry)
    }

    /// The `admitted` line is the record (the secrets released are the policy's for the role, as today).
    public func recordAdmission(_ entry: AuditEntry, released: [SecretID]) throws(CertifierError) {
        try auditLog.append(entry)
    }

    /// Reads the current audit file (not the rotated ones), filtered by time.
    public func auditEntries(since: Date?) throws(CertifierError) -> [AuditEntry] {
        let entries = FileManager.default.fileExists(atPath: auditLog.path) ? try AuditLog.read(path: auditLog.path) : []
        guard let since else { return entries }
        return entries.filter { ($0.date ?? .distantPast) >= since }
    }

    /// Reads the audit log and its rotated files.
    public func issuedAdmissions() throws(CertifierError) -> IssuedAdmissions {
        try IssuedAdmissions(auditLogPath: auditLog.path)
    }

    /// Reads `revocations.json`.
    public func revocations() throws(CertifierError) -> RevocationList {
        try revocationStore.load()
    }

    /// Writes a new `revocations.json` under its lock.
    @discardableResult
    public func revoke(_ entries: [RevocationList.Entry], now: Date) throws(CertifierError) -> RevocationList {
        try revocationStore.revoke(entries, now: now)
    }

    /// Reopens the audit log's path.
    public func reopenAuditLog() throws(CertifierError) {
        try auditLog.reopen()
    }
}
