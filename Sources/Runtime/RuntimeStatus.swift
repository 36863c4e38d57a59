import ByteKit
public import Foundation
public import Policy

/// The runtime's `/status`: what it serves, under which policy and admission, its model, the open
/// round (FL), the last models it made and the peers connected now. Ids and figures only: no word, no
/// weight, no key, no secret; peers by the first 8 hex digits of their certificate's serial.
public struct RuntimeStatus: Encodable, Sendable {
    /// The runtime's admission: its certificate's serial (first 8 hex digits) and expiry.
    public struct Admission: Encodable, Sendable {
        /// The first 8 hex digits of the certificate's serial.
        public let serial: String
        /// When it expires, e.g. "2026-12-05 20:00:00 UTC".
        public let expires: String
        /// When it expires, in unix seconds.
        public let expiresUnix: Double
    }

    /// The model the runtime holds now.
    public struct Model: Encodable, Sendable {
        /// Its short id (first 8 hex digits of its SHA-256).
        public let id: String
        /// Its round.
        public let round: UInt64
    }

    /// The open FL round.
    public struct OpenRound: Encodable, Sendable {
        /// Its number.
        public let round: UInt64
        /// The updates counted so far.
        public let updates: Int
        /// The updates that close it at once.
        public let minUpdates: Int
        /// The updates that close it once the deadline has passed.
        public let quorum: Int
        /// Its deadline, e.g. "2026-12-05 20:00:00 UTC".
        public let deadline: String
        /// Seconds from now to the deadline (negative once it has passed).
        public let secondsToDeadline: Double
        /// Whether it is being aggregated now.
        public let closing: Bool
    }

    /// One model the runtime made (a round's global model, or a training's result).
    public struct Round: Encodable, Sendable {
        /// The model's short id.
        public let id: String
        /// Its round.
        public let round: UInt64
        /// The updates aggregated into it (ML: 1).
        public let updates: Int
        /// The samples it was trained on.
        public let samples: UInt64
        /// The aggregation rule (ML: "train").
        public let rule: String
        /// Milliseconds of aggregation (FL) or training (ML).
        public let milliseconds: Double
        /// The mean loss the devices reported (FL), or the training's last loss (ML), when known.
        public let meanLoss: Double?
        /// The share of validation prefixes completed right, when a validation list is known.
        public let validationAccuracy: Double?
        /// When it was made.
        public let made: String
    }

    /// A peer connected now.
    public struct Peer: Encodable, Sendable {
        /// Its role.
        public let role: String
        /// The first 8 hex digits of its certificate's serial.
        public let id: String
        /// When it connected.
        public let since: String
    }

    /// "runtime".
    public let role: String
    /// The runtime's version.
    public let version: String
    /// The policy in force.
    public let policy: PolicySummary
    /// The runtime's admission, when known.
    public let admission: Admission?
    /// "ml" or "fl".
    public let mode: String
    /// The current model (ML) or the open round's global model (FL); nil before the provider sent one.
    public let model: Model?
    /// The open round (FL).
    public let openRound: OpenRound?
    /// The last models made since start, oldest first.
    public let rounds: [Round]
    /// The peers connected now, longest first.
    public let peers: [Peer]
    /// The connections open now (handshakes included).
    public let connections: Int
    /// When this status was taken.
    public let time: String

    /// The status of `server` now, reporting `version`.
    public init(server: RuntimeServer, version: String, now: Date = Date()) {
        role = Role.runtime.rawValue
        self.version = version
        let admitted = server.admission
        policy = PolicySummary(document: server.policyInForce, sha256: admitted?.policyHash ?? [])
        admission = admitted.map {
            Admission(serial: $0.serial, expires: UTCTimeText.format($0.expiry), expiresUnix: $0.expiry.timeIntervalSince1970)
        }
        mode = server.mode.rawValue
        if let federation = server.rounds {
            let rounds = federation.status
            model = rounds.global.map { Model(id: $0.shortID, round: rounds.round) }
            openRound = rounds.global == nil
                ? nil
                : OpenRound(
                    round: rounds.round, updates: rounds.updates, minUpdates: federation.rules.minUpdates,
                    quorum: federation.rules.quorum, deadline: UTCTimeText.format(rounds.deadline),
                    secondsToDeadline: rounds.deadline.timeIntervalSince(now), closing: rounds.isClosing)
        } else {
            model = server.store.current.map { Model(id: $0.shortID, round: $0.model.round) }
            openRound = nil
        }
        rounds = server.history.all.map {
            Round(
                id: $0.modelID, round: $0.round, updates: $0.updates, samples: $0.samples, rule: $0.rule, milliseconds: $0.milliseconds,
                meanLoss: $0.meanLoss.flatMap(Self.finite), validationAccuracy: $0.validationAccuracy.flatMap(Self.finite), made: UTCTimeText.format($0.madeAt))
        }
        peers = server.connectedPeers.map { Peer(role: $0.role.rawValue, id: $0.shortID, since: UTCTimeText.format($0.since)) }
        connections = server.activeConnections
        time = UTCTimeText.format(now)
    }

    /// `value` if finite: JSON has no NaN or infinity, and a diverged training's loss may be either.
    private static func finite(_ value: Double) -> Double? {
        value.isFinite ? value : nil
    }
}
