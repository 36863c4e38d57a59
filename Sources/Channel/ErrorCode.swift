/// The `code` of an `error` frame, as docs/protocol.md lists them.
public enum ErrorCode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The frame is not a CBOR map with a text `type`, or is over the size limit.
    case malformedFrame = "malformed-frame"
    /// A known `type` with a missing or mistyped field; the message names the field.
    case badRequest = "bad-request"
    /// A `type` this endpoint does not serve.
    case unknownType = "unknown-type"
    /// The peer may not connect, or its role may not send this request.
    case notAuthorized = "not-authorized"
    /// Certifier: the challenge's nonce was never issued.
    case nonceUnknown = "nonce-unknown"
    /// Certifier: the nonce is too old.
    case nonceExpired = "nonce-expired"
    /// Certifier: the nonce was already used.
    case nonceReused = "nonce-reused"
    /// Certifier: the token failed verification; the message names the step.
    case evidenceRejected = "evidence-rejected"
    /// Certifier: the token verified but the policy does not admit it; the message gives every reason.
    case appraisalFailed = "appraisal-failed"
    /// Runtime: no model has been uploaded yet.
    case noModel = "no-model"
    /// Runtime: a model blob failed validation; the message names the field.
    case invalidModel = "invalid-model"
    /// Runtime, FL: an update for another round.
    case wrongRound = "wrong-round"
    /// Runtime, FL: a second update from the same certificate.
    case duplicateUpdate = "duplicate-update"
    /// A read or write took longer than the endpoint's timeout.
    case timeout
    /// Anything else; the message says what.
    case `internal`

    /// The code as it travels, e.g. "malformed-frame".
    public var description: String { rawValue }
}
