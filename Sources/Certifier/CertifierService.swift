import Attestation
import ByteKit
public import Channel
public import Foundation
public import Logging
import OpenSSLKit
public import Policy
public import Protocol

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
public final class CertifierService: Sendable {
    /// The state: keys, certificates, secrets.
    public let state: CertifierState
    /// The verified policy.
    public let policy: SignedPolicy
    /// The certificates' issuer.
    public let issuer: AdmissionIssuer
    /// The nonces issued to connections.
    public let nonces: NonceStore
    /// Where decisions go.
    public let auditLog: AuditLog
    /// The runtimes' freshness anchors.
    public let anchors: AnchorStore
    /// The secrets each role receives, by role and name.
    private let secrets: [String: [String: [UInt8]]]
    private let verifier: CCAVerifier
    private let logger: Logger
    private let clock: @Sendable () -> Date

    /// A certifier for `state` under the signed policy `policyBytes`, which must verify under the
    /// state's policy certificate. Secrets the policy names but the state lacks are made (and logged).
    public init(
        state: CertifierState, policyBytes: [UInt8], logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(CertifierError) {
        let policy: SignedPolicy
        do {
            policy = try SignedPolicy(opening: policyBytes, policyCertificate: state.policyCertificate)
        } catch {
            throw CertifierError("refusing to serve this policy: \(error)")
        }
        // Validation (run by SignedPolicy) refused a policy defining the certifier's own role.
        let document = policy.document
        let anchors: [PlatformTrustAnchor]
        do {
            anchors = try document.trustAnchors()
        } catch {
            throw CertifierError("refusing to serve this policy: \(error)")
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
            guard let value = try state.secret(id) else { throw CertifierError("secret \(id) is missing after it was made") }
            secrets[id.role, default: [:]][id.name] = value
        }
        self.state = state
        self.policy = policy
        self.issuer = AdmissionIssuer(
            policyKey: state.policyKey, policyCertificate: state.policyCertificate,
            lifetime: TimeInterval(document.admissionLifetimeSeconds))
        self.nonces = NonceStore(lifetime: TimeInterval(document.nonceLifetimeSeconds))
        self.auditLog = try AuditLog(path: state.auditLogPath)
        self.anchors = AnchorStore(directory: state.path(CertifierState.Files.anchors))
        self.secrets = secrets
        self.verifier = CCAVerifier(trustAnchors: anchors)
        self.logger = logger
        self.clock = clock
    }

    /// A server of this certifier on `host:port` (port 0: the OS picks), not yet running; the channel
    /// layer logs connections to `channelLogger` (by default the certifier's logger).
    public func makeServer(host: String, port: UInt16, channelLogger: Logger? = nil) throws -> ChannelServer {
        let context = try TLSContext(
            side: .server, trustedRoot: state.policyCertificate, rootDescription: "this domain's policy key",
            identity: TLSIdentity(certificate: state.tlsCertificate, privateKey: state.tlsKey), requestPeerCertificate: true)
        var configuration = ChannelServer.Configuration(name: Role.certifier.rawValue, readTimeout: .seconds(60))
        // Attesting clients have no certificate yet; anchor requests check the role themselves.
        configuration.requiresPeerCertificate = false
        return try ChannelServer(
            host: host, port: port, context: context, configuration: configuration, logger: channelLogger ?? logger,
            handler: { [self] identity, request, connection in
                try connection.send(try answer(request, connection: connection.id, peer: connection.peerAddress, identity: identity))
            })
    }

    /// The answer to `request` on connection `connection` from `peer` (whose admission is `identity`, if it
    /// presented one); refusals are thrown as channel errors with the protocol's codes (and were recorded
    /// in the audit log first).
    public func answer(_ request: Message, connection: UInt64, peer: String, identity: PeerIdentity? = nil) throws(ChannelError) -> Message {
        switch request.type {
        case AnchorReadRequest.type:
            let read = try request.decode(as: AnchorReadRequest.self)
            try Self.requireRuntime(identity)
            try Self.check(federation: read.federation)
            let anchor: AnchorState?
            do throws(CertifierError) {
                anchor = try anchors.read(federation: read.federation)
            } catch {
                logger.error("\(error.message)")
                throw ChannelError(.internal, error.message)
            }
            guard let anchor else {
                throw ChannelError(.noAnchor, "the certifier holds no anchor for federation \"\(read.federation)\"")
            }
            return AnchorMessage(anchor: anchor).frame
        case AnchorAdvanceRequest.type:
            return try advance(request.decode(as: AnchorAdvanceRequest.self), peer: peer, identity: identity).frame
        case NonceRequest.type:
            let issued = nonces.issue(to: connection, now: clock())
            return NonceMessage(nonce: issued.nonce, expires: UInt64(issued.expires.timeIntervalSince1970.rounded(.down))).frame
        case EvidenceMessage.type:
            return try admit(request, connection: connection, peer: peer).frame
        default:
            let served = [NonceRequest.type, EvidenceMessage.type, AnchorReadRequest.type, AnchorAdvanceRequest.type]
            throw ChannelError(
                .unknownType, "the certifier serves \(served.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(request.type)\"")
        }
    }

    /// Advances a federation's anchor (a compare-and-swap); creations and conflicts go to the audit log,
    /// plain advances only to the debug log (one per acknowledged batch would swamp the audit log).
    private func advance(_ advance: AnchorAdvanceRequest, peer: String, identity: PeerIdentity?) throws(ChannelError) -> AnchorMessage {
        try Self.requireRuntime(identity)
        try Self.check(federation: advance.federation)
        let serial = identity.map { Hex.encode($0.serialNumber) }
        do {
            let created = try anchors.advance(federation: advance.federation, from: advance.from, to: advance.to)
            if created {
                let entry = AuditEntry(
                    date: clock(), peer: peer, role: Role.runtime.rawValue, measurement: identity?.measurement.map { Hex.encode($0) },
                    decision: .anchored, reasons: ["created the anchor of federation \"\(advance.federation)\" at \(advance.to)"], serial: serial)
                do {
                    try auditLog.append(entry)
                } catch {
                    logger.error("\(error.message)")
                }
                logger.info("created the anchor of federation \"\(advance.federation)\" at \(advance.to) for runtime \(peer)")
            } else {
                logger.debug("anchored federation \"\(advance.federation)\" at \(advance.to)")
            }
            return AnchorMessage(anchor: advance.to)
        } catch {
            switch error {
            case .failed(let failure):
                logger.error("\(failure.message)")
                throw ChannelError(.internal, failure.message)
            case .conflict(let reason):
                let error = ChannelError(.anchorConflict, "federation \"\(advance.federation)\": \(reason)")
                let entry = AuditEntry(
                    date: clock(), peer: peer, role: Role.runtime.rawValue, measurement: identity?.measurement.map { Hex.encode($0) },
                    decision: .refused, code: error.code.rawValue, reasons: [error.message], serial: serial)
                do {
                    try auditLog.append(entry)
                } catch {
                    logger.error("\(error.message)")
                }
                logger.warning("refused an anchor advance from runtime \(peer): \(error.message)")
                throw error
            }
        }
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

    /// Throws `bad-request` unless `federation` is a federation id (it names a file).
    private static func check(federation: String) throws(ChannelError) {
        guard FederationID.isValid(federation) else {
            throw ChannelError(.badRequest, "\"federation\" \(federation.debugDescription) \(FederationID.rule)")
        }
    }

    /// Decides on one piece of evidence.
    private func admit(_ request: Message, connection: UInt64, peer: String) throws(ChannelError) -> AdmissionMessage {
        let now = clock()
        var decision = Decision(peer: peer, role: Self.recordable(role: (try? request.text("role")) ?? ""), date: now)
        let evidence: EvidenceMessage
        do {
            evidence = try EvidenceMessage(fields: request)
        } catch {
            throw refuse(&decision, error)
        }
        let nonce: [UInt8]
        switch nonces.redeem(for: connection, now: now) {
        case .success(let value):
            nonce = value
        case .failure(.unknown):
            throw refuse(&decision, ChannelError(.nonceUnknown, "no nonce was issued on this connection; send \"nonce-request\" first"))
        case .failure(.reused):
            throw refuse(&decision, ChannelError(.nonceReused, "the nonce issued on this connection was already used; ask for a new one"))
        case .failure(.expired(let expiry)):
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
            throw refuse(&decision, ChannelError(.badRequest, "\"public-key\" is not the DER SubjectPublicKeyInfo of an EC key: \(error)"))
        }
        let result = verifier.verify(evidence.token, challenge: RealmChallenge.binding(nonce: nonce, spkiDER: evidence.publicKey))
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
        let measurement = token.realmClaims?.initialMeasurement
        let certificate: Certificate
        do {
            certificate = try issuer.issue(role: role, measurement: measurement, subjectKey: key, now: now)
        } catch {
            throw refuse(&decision, ChannelError(.internal, error.message))
        }
        let entry = AuditEntry(
            date: now, peer: peer, role: evidence.role, measurement: decision.measurement, decision: .admitted,
            serial: certificate.serialNumberHex, expires: certificate.notAfter)
        do {
            try auditLog.append(entry)
        } catch {
            // An admission that cannot be recorded is not made.
            logger.error("\(error.message); refusing \(evidence.role) from \(peer)")
            throw ChannelError(.internal, "the certifier cannot record its decision")
        }
        let released = secrets[evidence.role] ?? [:]
        let names = released.isEmpty ? "" : ", secrets " + released.keys.sorted().joined(separator: ", ")
        let serial = Hex.short(Hex.decode(certificate.serialNumberHex) ?? [])
        logger.info(
            "admitted \(evidence.role) from \(peer): measurement \(Hex.short(measurement ?? [])), serial \(serial), until \(AuditEntry.timestamp(certificate.notAfter))\(names)")
        return AdmissionMessage(
            certificate: certificate.der, expires: UInt64(certificate.notAfter.timeIntervalSince1970.rounded(.down)),
            policy: policy.bytes, secrets: released)
    }

    /// What is known about a decision so far.
    private struct Decision {
        let peer: String
        let role: String
        let date: Date
        var measurement: String?
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

    /// Records and logs a refusal, and returns the error to answer with.
    private func refuse(_ decision: inout Decision, _ error: ChannelError, reasons: [String]? = nil) -> ChannelError {
        let entry = AuditEntry(
            date: decision.date, peer: decision.peer, role: decision.role, measurement: decision.measurement, decision: .refused,
            code: error.code.rawValue, reasons: reasons ?? [error.message])
        do {
            try auditLog.append(entry)
        } catch {
            logger.error("\(error.message)")
        }
        let role = decision.role.isEmpty ? "a client" : decision.role
        logger.warning("refused \(role) from \(decision.peer): \(error.code): \(error.message)")
        return error
    }
}
