import Attestation
import ByteKit
public import Channel
import Dispatch
public import Foundation
public import Logging
import OpenSSLKit
public import Policy
public import Protocol
import Synchronization

/// The certifier: answers `nonce-request` and `evidence` (docs/protocol.md) over TLS 1.3, admitting
/// exactly the programs that the signed policy lists, and keeps runtimes' freshness anchors
/// (`anchor-read`, `anchor-advance`; docs/freshness.md) for peers admitted as `runtime`.
///
/// It asks clients for a certificate but does not require one: attesting clients have none yet; the
/// anchor requests are served only to a peer whose admission certificate names the runtime role.
///
/// A nonce belongs to the connection that asked for it; evidence on that connection redeems it. Evidence
/// is verified completely (platform signature against a key the policy trusts, realm signature, binding,
/// challenge = SHA-512(nonce || public-key)), then appraised against the policy; only then is an
/// admission certificate issued. Every decision is appended to the audit log before the answer is sent,
/// and logged.
///
/// The policy can be reloaded while serving (`reload`): each decision is made, audited and certified
/// under one immutable `PolicySnapshot`, the one in force when it began.
public final class CertifierService: Sendable {
    /// The state: keys, certificates, secrets.
    public let state: CertifierState
    /// Where nonces, decisions and events, and the revocation list are kept: the state folder, or a
    /// database shared by replicas. Nonces outlive a policy reload, so no attestation in flight is lost.
    public let store: any CertifierStore
    /// The last admissions and refusals, for the status.
    public let recent = RecentDecisions()
    /// The policy in force and all derived from it, swapped whole by `reload`.
    private let current: Mutex<PolicySnapshot>
    /// Identical refusals folded into one line per interval.
    private let repeatedRefusals: RepeatedRefusals
    /// Audit lines kept while the store is out of reach, written when it answers again.
    private let auditBacklog = AuditBacklog()
    /// Whether the revocation poll last found the store out of reach, so an outage is logged once.
    private let revocationsUnreachable = Mutex(false)
    /// Writes the lines of ended intervals of `repeatedRefusals` while no refusal comes to do it.
    private let ticker: Mutex<any DispatchSourceTimer>
    /// The runtimes' freshness anchors, in the store.
    public var anchors: any FederationAnchors { store.anchors }
    /// The list in force and its signed form, as the `revocations` request serves it.
    private let revocations: Mutex<(list: RevocationList, signed: [UInt8])>
    /// Reads the list again every few seconds, so a `cml-certifier revoke` takes effect without a signal.
    private let revocationTimer: Mutex<any DispatchSourceTimer>
    private let logger: Logger
    private let clock: @Sendable () -> Date

    /// A certifier for `state` under the signed policy `policyBytes`, which must verify under the
    /// state's policy certificate. Secrets the policy names but the state lacks are made (and logged).
    /// The audit log rotates as `auditRotation` says; identical refusals from one source within
    /// `repeatInterval` seconds are written as one line and a count. `store` is where it keeps what
    /// changes; by default the state folder's `DirectoryStore`.
    public init(
        state: CertifierState, policyBytes: [UInt8], logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        auditRotation: AuditLog.Rotation = .standard, repeatInterval: TimeInterval = 10, store: (any CertifierStore)? = nil
    ) throws(CertifierError) {
        let snapshot = try PolicySnapshot(state: state, policyBytes: policyBytes, logger: logger, now: clock())
        self.state = state
        self.current = Mutex(snapshot)
        let lifetime = TimeInterval(snapshot.policy.document.nonceLifetimeSeconds)
        if let store {
            self.store = store
        } else {
            self.store = try DirectoryStore(directory: state.directory, nonceLifetime: lifetime, auditRotation: auditRotation)
        }
        self.repeatedRefusals = RepeatedRefusals(interval: repeatInterval)
        self.logger = logger
        self.clock = clock
        let list = try self.store.revocations()
        self.revocations = Mutex((list, try Self.sign(list, state: state)))
        let revocationTimer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "certifier-revocations"))
        revocationTimer.schedule(deadline: .now() + Self.revocationCheckInterval, repeating: Self.revocationCheckInterval)
        self.revocationTimer = Mutex(revocationTimer)
        let ticker = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "certifier-audit"))
        // A tenth of the interval: a summary line comes at most that late after its interval ends.
        ticker.schedule(deadline: .now(), repeating: .milliseconds(max(100, Int(repeatInterval * 100))))
        self.ticker = Mutex(ticker)
        self.ticker.withLock { ticker in
            ticker.setEventHandler { [weak self] in
                self?.writeHeldAuditLines()
                self?.writeRepeatedRefusals()
            }
            ticker.resume()
        }
        self.revocationTimer.withLock { timer in
            timer.setEventHandler { [weak self] in self?.reloadRevocations() }
            timer.resume()
        }
    }

    deinit {
        ticker.withLock { $0.cancel() }
        revocationTimer.withLock { $0.cancel() }
    }

    /// How often the serving certifier reads its revocation list again: within 10 s of a change.
    public static let revocationCheckInterval: DispatchTimeInterval = .seconds(5)

    /// The revocation list in force.
    public var revocationList: RevocationList { revocations.withLock { $0.list } }

    /// Reads the revocation list again (on SIGHUP, and every few seconds) and serves it if its version
    /// changed; a list that cannot be read leaves the one in force, logged. A store out of reach is
    /// logged when the outage begins and when it ends, not at every poll.
    public func reloadRevocations() {
        let list: RevocationList
        do {
            list = try store.revocations()
        } catch {
            let version = revocationList.version
            guard error.code == .storeUnavailable else {
                logger.error("\(error.message); still serving revocation list version \(version)")
                return
            }
            let began = revocationsUnreachable.withLock { unreachable in
                defer { unreachable = true }
                return !unreachable
            }
            if began {
                logger.error("\(error.message); still serving revocation list version \(version) until the database answers again")
            }
            return
        }
        let ended = revocationsUnreachable.withLock { unreachable in
            defer { unreachable = false }
            return unreachable
        }
        if ended {
            logger.notice("the \(store.description) answers again; reading the revocation list from it")
        }
        guard list.version != revocationList.version else { return }
        do {
            let signed = try Self.sign(list, state: state)
            revocations.withLock { $0 = (list, signed) }
            logger.notice("serving revocation list version \(list.version): \(quantity(list.entries.count, "certificate")) revoked")
        } catch {
            logger.error("\(error.message); still serving revocation list version \(revocationList.version)")
        }
    }

    private static func sign(_ list: RevocationList, state: CertifierState) throws(CertifierError) -> [UInt8] {
        do {
            return try list.signed(key: state.issuingKey, issuerCertificate: state.issuingCertificate)
        } catch {
            throw CertifierError(.revocationListFailed, error.description, cause: error)
        }
    }

    /// Revokes every live admission whose measurement `old` accepted for its role and `new` no longer
    /// does (a role removed drops all of its measurements), audited as revocations.
    private func revokeDropped(old: PolicyDocument, new: PolicyDocument, policy: AuditEntry.PolicyName) {
        let now = clock()
        var dropped: [(role: String, measurement: String)] = []
        for (role, rolePolicy) in old.roles {
            let kept = Set((new.roles[role]?.initialMeasurements ?? []).map { Hex.encode($0.bytes) })
            for measurement in rolePolicy.initialMeasurements.map({ Hex.encode($0.bytes) }) where !kept.contains(measurement) {
                dropped.append((role, measurement))
            }
        }
        guard !dropped.isEmpty else { return }
        do {
            let issued = try store.issuedAdmissions()
            var entries: [RevocationList.Entry] = []
            var admissions: [AuditEntry] = []
            for (role, measurement) in dropped {
                for admission in issued.live(role: role, measurement: measurement, now: now) {
                    guard let serial = admission.serial else { continue }
                    let reason = "the policy reload dropped measurement \(Hex.short(Hex.decode(measurement) ?? [])) from role \(role)"
                    entries.append(RevocationList.Entry(serial: serial, reason: reason, revoked: UInt64(now.timeIntervalSince1970)))
                    admissions.append(admission)
                }
            }
            guard !entries.isEmpty else { return }
            let before = revocationList
            try store.revoke(entries, now: now)
            for (entry, admission) in zip(entries, admissions) where !before.isRevoked(serialHex: entry.serial) {
                record(AuditEntry(date: now, revoked: entry.serial, admission: admission, reason: entry.reason, policy: policy))
            }
            logger.notice("revoked \(quantity(entries.count, "live admission")) whose measurement the new policy dropped")
            reloadRevocations()
        } catch {
            logger.error("could not revoke the admissions of dropped measurements: \(error.message)")
        }
    }

    /// The policy in force now and all derived from it.
    public var snapshot: PolicySnapshot { current.withLock { $0 } }
    /// The verified policy in force.
    public var policy: SignedPolicy { snapshot.policy }
    /// The SHA-256 of the signed policy in force, which every admission certificate records.
    public var policyHash: [UInt8] { snapshot.hash }

    /// Puts the signed policy `policyBytes` in force, after the checks made at start (signature under the
    /// state's policy certificate, the policy's validation); audits and logs it. Attestations already
    /// running finish under the policy they started with. Throws, changing nothing, if it is refused.
    @discardableResult
    public func reload(policyBytes: [UInt8]) throws(CertifierError) -> PolicySnapshot {
        let old = snapshot
        let fresh = try PolicySnapshot(state: state, policyBytes: policyBytes, logger: logger, previous: old, now: clock())
        current.withLock { $0 = fresh }
        record(AuditEntry(date: clock(), event: .policyLoaded, policy: fresh.auditName))
        let document = fresh.policy.document
        logger.notice("loaded \(fresh.description): \(document.roles.keys.sorted().joined(separator: ", ")); it replaces \(old.description)")
        revokeDropped(old: old.policy.document, new: document, policy: fresh.auditName)
        return fresh
    }

    /// Reloads the signed policy in `file` (on SIGHUP); a file that cannot be read or is refused leaves
    /// the policy in force serving, and is logged and audited naming the file and what is wrong.
    /// Returns whether the new policy is in force.
    @discardableResult
    public func reloadPolicy(file: String) -> Bool {
        let problem: String
        do {
            let bytes = try FileBytes.read(file, limit: SignedPolicy.maximumFileSize)
            do {
                try reload(policyBytes: bytes)
                return true
            } catch {
                problem = error.message
            }
        } catch {
            problem = "cannot read the policy: \(error.reason)"
        }
        let old = snapshot
        logger.error("\(file): \(problem); still serving \(old.description)")
        record(AuditEntry(date: clock(), event: .policyRefused, policy: old.auditName, reasons: ["\(file): \(problem)"]))
        return false
    }

    /// Closes the audit log and opens its path again, after an outside rotation moved the file (on
    /// SIGHUP); if it cannot be opened, the old file stays in use and the error is logged.
    public func reopenAuditLog() {
        do {
            try store.reopenAuditLog()
            logger.info("reopened the \(store.description)")
        } catch {
            logger.error("\(error.message); still writing to the file open before")
        }
    }

    /// Audits the start of serving, under the policy in force.
    public func recordStart() {
        record(AuditEntry(date: clock(), event: .start, policy: snapshot.auditName))
    }

    /// Audits the end of serving, after the counts of refusals still being folded. Lines held while the
    /// store is out of reach are written if it answers now, or else logged whole (the process log is
    /// then their only record).
    public func recordStop() {
        for line in repeatedRefusals.due(now: nil) { writeRepeated(line) }
        record(AuditEntry(date: clock(), event: .stop, policy: snapshot.auditName))
        writeHeldAuditLines()
        let unwritten = auditBacklog.drain()
        guard !unwritten.isEmpty else { return }
        logger.critical("stopping with \(quantity(unwritten.count, "audit line")) the \(store.description) never took; here they are")
        for entry in unwritten { logUnwritten(entry) }
    }

    /// Writes the summary line of each interval of identical refusals that has ended.
    public func writeRepeatedRefusals() {
        for line in repeatedRefusals.due(now: clock()) { writeRepeated(line) }
    }

    /// Appends an event or refusal line; one that cannot be written is logged. While the store is out
    /// of reach the line is held and written, in order, when it answers again (`AuditBacklog`).
    private func record(_ entry: AuditEntry) {
        switch auditBacklog.holdIfPending(entry) {
        case .notPending:
            break
        case .held:
            writeHeldAuditLines()
            return
        case .full:
            logUnwritten(entry)
            return
        }
        do {
            try store.append(entry)
        } catch {
            guard error.code == .storeUnavailable else {
                logger.error("\(error.message)")
                return
            }
            switch auditBacklog.hold(entry) {
            case .held(first: true):
                logger.error(
                    "\(error.message); keeping audit lines in memory (at most \(auditBacklog.capacity)) until the database answers again")
            case .held, .notPending:
                break
            case .full:
                logUnwritten(entry)
            }
        }
    }

    /// Writes the audit lines held during a store outage, if the store answers now (each tick, and
    /// before any newer line).
    public func writeHeldAuditLines() {
        let (written, _) = auditBacklog.flush { entry throws(CertifierError) in
            do throws(CertifierError) {
                try store.append(entry)
            } catch {
                guard error.code != .storeUnavailable else { throw error }
                // Not the outage: this line would fail again and hold back the rest; the log keeps it.
                logger.error("\(error.message)")
                logUnwritten(entry)
            }
        }
        guard written > 0 else { return }
        logger.notice("the \(store.description) answers again: wrote \(quantity(written, "audit line")) held while it was out of reach")
    }

    /// Logs an audit line that cannot be kept for the store (the backlog is full, or serving ends), whole,
    /// so that the process log holds it.
    private func logUnwritten(_ entry: AuditEntry) {
        let line = (try? entry.jsonBytes()).map { String(decoding: $0, as: UTF8.self) } ?? "\(entry)"
        logger.error("audit line not written to the \(store.description): \(line)")
    }

    /// Appends and logs the line summing up repeated refusals.
    private func writeRepeated(_ line: AuditEntry) {
        record(line)
        let role = (line.role ?? "").isEmpty ? "a client" : line.role ?? ""
        let source = RepeatedRefusals.source(of: line.peer ?? "")
        let count = quantity(line.repeated ?? 0, "more time")
        logger.warning("refused \(role) from \(source) \(count) by \(line.time) as before: \(line.code ?? ""): \(line.reasons.joined(separator: "; "))")
    }

    /// A server of this certifier on `host:port` (port 0: the OS picks), not yet running; the channel
    /// layer logs connections to `channelLogger` (by default the certifier's logger); `configuration` bounds
    /// its connections (by default `channelConfiguration`).
    public func makeServer(
        host: String, port: UInt16, channelLogger: Logger? = nil, configuration: ChannelServer.Configuration = channelConfiguration
    ) throws -> ChannelServer {
        let context = try TLSContext(
            side: .server, trustedRoot: state.policyCertificate, rootDescription: "this domain's policy key",
            identity: TLSIdentity(certificate: state.tlsCertificate, privateKey: state.tlsKey, chain: [state.issuingCertificate]),
            requestPeerCertificate: true)
        // The limits of the policy in force at start; a reload keeps them until the next start.
        var configuration = configuration.limited(by: snapshot.policy.document.limits)
        // Attesting clients have no certificate yet; anchor requests check the role themselves.
        configuration.requiresPeerCertificate = false
        return try ChannelServer(
            host: host, port: port, context: context, configuration: configuration, logger: channelLogger ?? logger,
            handler: { [self] identity, request, connection in
                try connection.send(try answer(request, connection: connection.id, peer: connection.peerAddress, identity: identity))
            })
    }

    /// The certifier's clients have no certificate yet, so everything about their connections is
    /// bounded: a few seconds to the first request, 30 s for the whole exchange (nonce, evidence,
    /// answer), frames of at most 64 KiB (evidence is a few kilobytes; larger is refused from its header).
    public static let channelConfiguration = ChannelServer.Configuration(
        name: Role.certifier.rawValue, readTimeout: .seconds(20), firstRequestTimeout: .seconds(5),
        unauthenticatedLifetime: .seconds(30), maxFrameSize: 64 << 10)

    /// The answer to `request` on connection `connection` from `peer` (whose admission is `identity`, if it
    /// presented one); refusals are thrown as channel errors with the protocol's codes (and were recorded
    /// in the audit log first).
    public func answer(_ request: Message, connection: UInt64, peer: String, identity: PeerIdentity? = nil) throws(ChannelError) -> Message {
        switch request.type {
        case AnchorReadRequest.type:
            let read = try request.decode(as: AnchorReadRequest.self)
            try Self.requireRuntime(identity)
            try check(federation: read.federation)
            let anchor: AnchorState?
            do throws(CertifierError) {
                anchor = try anchors.read(federation: read.federation)
            } catch {
                logger.error("\(error.message)")
                throw Self.storeRefusal(error, cannot: "read the anchor", otherwise: error.message)
            }
            guard let anchor else {
                throw ChannelError(.noAnchor, "the certifier holds no anchor for federation \"\(read.federation)\"")
            }
            return AnchorMessage(anchor: anchor).frame
        case AnchorAdvanceRequest.type:
            return try advance(request.decode(as: AnchorAdvanceRequest.self), peer: peer, identity: identity).frame
        case NonceRequest.type:
            let lifetime = TimeInterval(snapshot.policy.document.nonceLifetimeSeconds)
            let issued: NonceStore.Issued
            do throws(CertifierError) {
                issued = try store.issueNonce(to: connection, now: clock(), lifetime: lifetime)
            } catch {
                logger.error("\(error.message)")
                throw Self.storeRefusal(error, cannot: "store a nonce", otherwise: "the certifier cannot store a nonce now; try again")
            }
            CertifierMetrics.nonceIssued()
            return NonceMessage(nonce: issued.nonce, expires: UInt64(issued.expires.timeIntervalSince1970.rounded(.down))).frame
        case EvidenceMessage.type:
            return try admit(request, connection: connection, peer: peer).frame
        case RevocationsRequest.type:
            // Signed by the issuing key and carrying its certificate, so it is served to anyone: a holder
            // checks the signature and the chain to the policy certificate, not the channel.
            return RevocationsMessage(list: revocations.withLock { $0.signed }).frame
        default:
            let served = [NonceRequest.type, EvidenceMessage.type, AnchorReadRequest.type, AnchorAdvanceRequest.type, RevocationsRequest.type]
            throw ChannelError(
                .unknownType, "the certifier serves \(served.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(request.type)\"")
        }
    }

    /// Advances a federation's anchor (a compare-and-swap); creations and conflicts go to the audit log,
    /// plain advances only to the debug log (one per acknowledged batch would swamp the audit log).
    private func advance(_ advance: AnchorAdvanceRequest, peer: String, identity: PeerIdentity?) throws(ChannelError) -> AnchorMessage {
        try Self.requireRuntime(identity)
        try check(federation: advance.federation)
        let serial = identity.map { Hex.encode($0.serialNumber) }
        do {
            let created = try anchors.advance(federation: advance.federation, from: advance.from, to: advance.to)
            if created {
                let entry = AuditEntry(
                    date: clock(), peer: peer, role: Role.runtime.rawValue, measurement: identity?.measurement.map { Hex.encode($0) },
                    decision: .anchored, reasons: ["created the anchor of federation \"\(advance.federation)\" at \(advance.to)"], serial: serial)
                record(entry)
                logger.info("created the anchor of federation \"\(advance.federation)\" at \(advance.to) for runtime \(peer)")
            } else {
                logger.debug("anchored federation \"\(advance.federation)\" at \(advance.to)")
            }
            return AnchorMessage(anchor: advance.to)
        } catch {
            switch error {
            case .failed(let failure):
                logger.error("\(failure.message)")
                throw Self.storeRefusal(failure, cannot: "advance the anchor", otherwise: failure.message)
            case .conflict(let reason):
                let error = ChannelError(.anchorConflict, "federation \"\(advance.federation)\": \(reason)")
                let entry = AuditEntry(
                    date: clock(), peer: peer, role: Role.runtime.rawValue, measurement: identity?.measurement.map { Hex.encode($0) },
                    decision: .refused, code: error.code.rawValue, reasons: [error.message], serial: serial)
                record(entry)
                logger.warning("refused an anchor advance from runtime \(peer): \(error.message)")
                throw error
            }
        }
    }

    /// How long a client is told to wait when the database is out of reach (`retry-after`).
    public static let storeOutageRetryAfterSeconds = 5

    /// The answer to a request the store failed: `unavailable` with a `retry-after` when the database is
    /// out of reach for now (it names the database, never its address), else `internal` saying `otherwise`.
    static func storeRefusal(_ error: CertifierError, cannot what: String, otherwise: String) -> ChannelError {
        guard error.code == .storeUnavailable else { return ChannelError(.internal, otherwise, cause: error) }
        let seconds = storeOutageRetryAfterSeconds
        return ChannelError(
            .unavailable, "the certifier's database is out of reach, so it cannot \(what) now; try again in \(seconds) s or at another replica",
            cause: error, retryAfterSeconds: seconds)
    }

    /// Throws `not-authorized`, in the peer check's words, unless `identity` is admitted as runtime.
    private static func requireRuntime(_ identity: PeerIdentity?) throws(ChannelError) {
        let refusal: PeerCheck.Refusal
        if let identity {
            guard identity.role != .runtime else { return }
            refusal = .roleNotAllowed(identity.role, allowed: [.runtime])
        } else {
            refusal = .noCertificate
        }
        throw ChannelError(kind: .refused, code: .notAuthorized, message: refusal.reasonForPeer(server: "the certifier's anchors"))
    }

    /// Throws `bad-request` unless `federation` is a federation id (it names a file), and `not-authorized`
    /// unless it is the federation of the policy in force: an admitted runtime may move its own
    /// federation's anchor only, never another's, and cannot fill the certifier's disk with anchors.
    private func check(federation: String) throws(ChannelError) {
        guard FederationID.isValid(federation) else {
            throw ChannelError(.badRequest, "\"federation\" \(federation.debugDescription) \(FederationID.rule)")
        }
        let own = snapshot.policy.document.federationID
        guard federation == own else {
            throw ChannelError(
                .notAuthorized, "federation \(federation.debugDescription) is not this certifier's: its policy names the federation \"\(own)\"")
        }
    }

    /// Decides on one piece of evidence.
    private func admit(_ request: Message, connection: UInt64, peer: String) throws(ChannelError) -> AdmissionMessage {
        // One snapshot for the whole decision: a reload meanwhile does not change the policy it is made under.
        let snapshot = self.snapshot
        let policy = snapshot.policy
        let now = clock()
        var decision = Decision(
            peer: peer, role: Self.recordable(role: (try? request.text("role")) ?? ""), date: now, policy: snapshot.auditName)
        let evidence: EvidenceMessage
        do {
            evidence = try EvidenceMessage(fields: request)
        } catch {
            throw refuse(&decision, error)
        }
        let redemption: Result<[UInt8], NonceRefusal>
        do throws(CertifierError) {
            redemption = try store.redeemNonce(for: connection, presented: evidence.nonce, now: now)
        } catch {
            logger.error("\(error.message)")
            throw refuse(
                &decision, Self.storeRefusal(error, cannot: "redeem the nonce", otherwise: "the certifier cannot redeem the nonce now; ask for a new one"))
        }
        let nonce: [UInt8]
        switch redemption {
        case .success(let value):
            nonce = value
        case .failure(.unknown):
            let what = evidence.nonce == nil ? "no nonce was issued on this connection" : "the nonce the evidence names was never issued"
            throw refuse(&decision, ChannelError(.nonceUnknown, "\(what); send \"nonce-request\" first"))
        case .failure(.reused):
            let what = evidence.nonce == nil ? "the nonce issued on this connection" : "the nonce the evidence names"
            throw refuse(&decision, ChannelError(.nonceReused, "\(what) was already used; ask for a new one"))
        case .failure(.expired(let expiry)):
            CertifierMetrics.nonceExpired()
            throw refuse(
                &decision,
                ChannelError(.nonceExpired, "the nonce expired at \(AuditEntry.timestamp(expiry)) (nonces live \(policy.document.nonceLifetimeSeconds) s); ask for a new one"))
        }
        guard let role = Role(rawValue: evidence.role) else {
            throw refuse(
                &decision,
                ChannelError(
                    .badRequest,
                    "\"role\" is \(Self.quoted(evidence.role)), which is not a role name (1 to \(Role.maximumLength) lowercase letters and hyphens)"))
        }
        let key: ECPublicKey
        do {
            key = try ECPublicKey(der: evidence.publicKey)
        } catch {
            throw refuse(&decision, ChannelError(.badRequest, "\"public-key\" is not the DER SubjectPublicKeyInfo of an EC key: \(error)", cause: error))
        }
        let result = snapshot.verifier.verify(evidence.token, challenge: RealmChallenge.binding(nonce: nonce, spkiDER: evidence.publicKey))
        decision.measurement = result.decodedToken?.realmClaims.map { Hex.encode($0.initialMeasurement) }
        let token: VerifiedToken
        switch result {
        case .verified(let verified):
            token = verified
        case .rejected(let failure, _, _):
            throw refuse(&decision, ChannelError(.evidenceRejected, "\(failure.step): \(failure.reason)"))
        }
        var reasons = Appraisal.appraise(token, role: role, policy: policy.document).reasons
        if role == .certifier { reasons.append("role \"\(Role.certifier)\" is never issued") }
        guard reasons.isEmpty else {
            throw refuse(&decision, ChannelError(.appraisalFailed, reasons.joined(separator: "; ")), reasons: reasons)
        }
        let platform = token.platformClaims.instanceID
        if let rateLimit = snapshot.rateLimit, let again = rateLimit.reserve(platform: Hex.encode(platform), now: now) {
            throw refuse(
                &decision,
                ChannelError(
                    .rateLimited,
                    "platform \(Hex.short(platform)) was admitted \(rateLimit.limit) times in the last hour, the policy's cap "
                        + "(max-admissions-per-platform-per-hour); it may attest again at \(AuditEntry.timestamp(again))"))
        }
        let measurement = token.realmClaims?.initialMeasurement
        let certificate: Certificate
        do {
            certificate = try snapshot.issuer.issue(
                role: role, measurement: measurement, policyHash: snapshot.hash, platformInstance: platform, subjectKey: key, now: now)
        } catch {
            throw refuse(&decision, ChannelError(.internal, error.message, cause: error))
        }
        let entry = AuditEntry(
            date: now, peer: peer, role: evidence.role, measurement: decision.measurement, decision: .admitted,
            serial: certificate.serialNumberHex, expires: certificate.notAfter, policy: snapshot.auditName)
        let released = snapshot.secrets[evidence.role] ?? [:]
        do {
            let ids = released.keys.sorted().compactMap { name in try? SecretID(role: evidence.role, name: name) }
            try store.recordAdmission(entry, released: ids)
        } catch {
            // An admission that cannot be recorded is not made: its certificate is dropped unsent.
            logger.error("\(error.message); refusing \(evidence.role) from \(peer)")
            throw refuse(&decision, Self.storeRefusal(error, cannot: "record the admission", otherwise: "the certifier cannot record its decision"))
        }
        let names = released.isEmpty ? "" : ", secrets " + released.keys.sorted().joined(separator: ", ")
        let serial = Hex.short(Hex.decode(certificate.serialNumberHex) ?? [])
        recent.append(
            DecisionRecord(
                time: AuditEntry.timestamp(now), decision: "admitted", role: evidence.role, peer: peer, code: nil, reasons: [],
                measurement: decision.measurement.map { String($0.prefix(8)) }, serial: String(certificate.serialNumberHex.prefix(8))))
        CertifierMetrics.admitted(role: evidence.role, policy: policy.document, duration: .now - decision.started)
        logger.info(
            "admitted \(evidence.role) from \(peer): measurement \(Hex.short(measurement ?? [])), serial \(serial), until \(AuditEntry.timestamp(certificate.notAfter))\(names)")
        return AdmissionMessage(
            certificate: certificate.der, issuer: snapshot.issuer.issuingCertificate.der, expires: UInt64(certificate.notAfter.timeIntervalSince1970.rounded(.down)),
            policy: policy.bytes, secrets: released)
    }

    /// What is known about a decision so far.
    private struct Decision {
        let peer: String
        let role: String
        let date: Date
        let policy: AuditEntry.PolicyName
        var measurement: String?
        /// When the decision began, for the attestation latency.
        var started = ContinuousClock.now
    }

    /// The claimed role as the audit log and the log lines show it: a role name as it is; anything else
    /// (any client may send any text) quoted with its control characters escaped, and cut to a role
    /// name's length, so that a claim can neither forge a log line nor swell the audit log.
    private static func recordable(role: String) -> String {
        role.isEmpty || Role(rawValue: role) != nil ? role : quoted(role)
    }

    /// `text` in quotes, control and non-ASCII characters escaped, cut to a role name's length.
    private static func quoted(_ text: String) -> String {
        let limit = Role.maximumLength
        let shown = text.unicodeScalars.prefix(limit).map { $0.escaped(asASCII: true) }.joined()
        return "\"\(shown)\(text.unicodeScalars.count > limit ? "..." : "")\""
    }

    /// Records and logs a refusal (unless it repeats one of this interval, which is only counted), and
    /// returns the error to answer with.
    private func refuse(_ decision: inout Decision, _ error: ChannelError, reasons: [String]? = nil) -> ChannelError {
        let entry = AuditEntry(
            date: decision.date, peer: decision.peer, role: decision.role, measurement: decision.measurement, decision: .refused,
            code: error.code.rawValue, reasons: reasons ?? [error.message], policy: decision.policy)
        recent.append(
            DecisionRecord(
                time: AuditEntry.timestamp(decision.date), decision: "refused", role: decision.role, peer: decision.peer,
                code: error.code.rawValue, reasons: entry.reasons, measurement: decision.measurement.map { String($0.prefix(8)) }, serial: nil))
        CertifierMetrics.refused(role: decision.role, code: error.code.rawValue, policy: snapshot.policy.document, duration: .now - decision.started)
        var written = false
        for line in repeatedRefusals.lines(for: entry, now: decision.date) {
            if line == entry {
                record(line)
                written = true
            } else {
                writeRepeated(line)
            }
        }
        if written {
            let role = decision.role.isEmpty ? "a client" : decision.role
            logger.warning("refused \(role) from \(decision.peer): \(error.code): \(error.message)")
        }
        return error
    }
}
