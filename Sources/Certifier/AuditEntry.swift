import ByteKit
public import Foundation

/// One line of `audit.jsonl`: a decision of the certifier (`decision`), or an event in its life
/// (`event`: start, stop, a policy loaded or refused on reload).
///
/// Every line written by a serving certifier names the policy in force (`policy`, its name, and
/// `policy-sha256`), so each decision can be traced to the exact signed policy it was made under.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// The two decisions.
    public enum Decision: String, Codable, Sendable {
        /// An admission certificate was issued.
        case admitted
        /// The evidence or the request was refused.
        case refused
        /// A federation's freshness anchor was created (`role` is the runtime, `reasons` name the federation).
        case anchored
    }

    /// The events of the certifier's life. A later event (e.g. a revocation) is one more case, written
    /// with `init(date:event:policy:reasons:)`.
    public enum Event: String, Codable, Sendable {
        /// The certifier started serving.
        case start
        /// The certifier stopped serving.
        case stop
        /// A policy was loaded on reload (SIGHUP); it is in force from this line on.
        case policyLoaded = "policy-loaded"
        /// A policy was refused on reload; `reasons` say why, and the policy named stays in force.
        case policyRefused = "policy-refused"
        /// An admission certificate was revoked: `serial`, `role` and `measurement` name it, `reasons` say why.
        case revocation
    }

    /// The policy in force: its name and the SHA-256 of its signed bytes.
    public struct PolicyName: Sendable, Equatable {
        /// The policy's name, or "unnamed" when it has none.
        public let name: String
        /// The SHA-256 of the signed policy, in hex.
        public let sha256: String

        /// The name `name` and the hash `sha256` (bytes).
        public init(name: String, sha256: [UInt8]) {
            self.name = name
            self.sha256 = Hex.encode(sha256)
        }
    }

    /// When, in ISO 8601 UTC with milliseconds.
    public var time: String
    /// For an event line, which event; nil for a decision.
    public var event: Event?
    /// For a decision, admitted or refused; nil for an event.
    public var decision: Decision?
    /// For a decision, the client's address, e.g. "127.0.0.1:51234".
    public var peer: String?
    /// For a decision, the role it asked for ("" when the evidence did not say).
    public var role: String?
    /// The realm initial measurement in hex, when the token could be read.
    public var measurement: String?
    /// For a refusal, the protocol error code (e.g. "appraisal-failed").
    public var code: String?
    /// For a refusal (or a refused policy), every reason, in words.
    public var reasons: [String]
    /// For an admission, the certificate's serial number in hex.
    public var serial: String?
    /// For an admission, when the certificate expires (ISO 8601 UTC).
    public var expires: String?
    /// The name of the policy the decision was made under (for an event: the policy in force after it).
    public var policy: String?
    /// The SHA-256 (hex) of that signed policy.
    public var policySHA256: String?
    /// On a line summing up refusals identical to an earlier line (same source, code and reasons):
    /// how many more there were in the interval that ends at `time`.
    public var repeated: Int?

    private enum CodingKeys: String, CodingKey {
        case time, event, decision, peer, role, measurement, code, reasons, serial, expires, policy, repeated
        case policySHA256 = "policy-sha256"
    }

    /// A decision; `time` is formatted from `date`.
    public init(
        date: Date, peer: String, role: String, measurement: String?, decision: Decision, code: String? = nil,
        reasons: [String] = [], serial: String? = nil, expires: Date? = nil, policy: PolicyName? = nil
    ) {
        self.time = Self.timestamp(date)
        self.peer = peer
        self.role = role
        self.measurement = measurement
        self.decision = decision
        self.code = code
        self.reasons = reasons
        self.serial = serial
        self.expires = expires.map(Self.timestamp)
        self.policy = policy?.name
        self.policySHA256 = policy?.sha256
    }

    /// An event under `policy`, with `reasons` when there is something to explain.
    public init(date: Date, event: Event, policy: PolicyName, reasons: [String] = []) {
        self.time = Self.timestamp(date)
        self.event = event
        self.reasons = reasons
        self.policy = policy.name
        self.policySHA256 = policy.sha256
    }

    /// A revocation of the certificate `serial` (hex) that `admission` (its `admitted` line) issued, for
    /// `reason`; under `policy` when a serving certifier made it, without one from `cml-certifier revoke`.
    public init(date: Date, revoked serial: String, admission: AuditEntry?, reason: String, policy: PolicyName? = nil) {
        self.time = Self.timestamp(date)
        self.event = .revocation
        self.role = admission?.role
        self.measurement = admission?.measurement
        self.serial = serial
        self.expires = admission?.expires
        self.reasons = [reason]
        self.policy = policy?.name
        self.policySHA256 = policy?.sha256
    }

    /// The entry as one JSON object (keys sorted, no newline): the audit log's line, the store's row.
    public func jsonBytes() throws(CertifierError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw CertifierError(.auditLogFailed, "cannot encode an audit entry: \(error)", cause: error)
        }
    }

    /// `time` as a date, or nil if it is not an ISO 8601 timestamp.
    public var date: Date? {
        try? Date(time, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `2026-11-25T13:05:12.345Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
