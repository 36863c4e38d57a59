public import Foundation

/// One decision of the certifier, as one JSON line of `audit.jsonl`.
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

    /// When, in ISO 8601 UTC with milliseconds.
    public var time: String
    /// The client's address, e.g. "127.0.0.1:51234".
    public var peer: String
    /// The role it asked for ("" when the evidence did not say).
    public var role: String
    /// The realm initial measurement in hex, when the token could be read.
    public var measurement: String?
    /// Admitted or refused.
    public var decision: Decision
    /// For a refusal, the protocol error code (e.g. "appraisal-failed").
    public var code: String?
    /// For a refusal, every reason, in words.
    public var reasons: [String]
    /// For an admission, the certificate's serial number in hex.
    public var serial: String?
    /// For an admission, when the certificate expires (ISO 8601 UTC).
    public var expires: String?

    /// An entry; `time` is formatted from `date`.
    public init(
        date: Date, peer: String, role: String, measurement: String?, decision: Decision, code: String? = nil,
        reasons: [String] = [], serial: String? = nil, expires: Date? = nil
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
    }

    /// `2026-11-25T13:05:12.345Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
