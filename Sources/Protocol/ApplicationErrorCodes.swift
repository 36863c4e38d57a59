public import Channel

// The error codes of the certifier's and the runtime's requests (docs/protocol.md). Channel declares
// the codes that any endpoint sends (see ErrorCode.swift); these belong to the application protocol.
extension ErrorCode {
    /// Certifier: the challenge's nonce was never issued.
    public static let nonceUnknown = ErrorCode(rawValue: "nonce-unknown")
    /// Certifier: the nonce is too old.
    public static let nonceExpired = ErrorCode(rawValue: "nonce-expired")
    /// Certifier: the nonce was already used.
    public static let nonceReused = ErrorCode(rawValue: "nonce-reused")
    /// Certifier: the token failed verification; the message names the step.
    public static let evidenceRejected = ErrorCode(rawValue: "evidence-rejected")
    /// Certifier: the token verified but the policy does not admit it; the message gives every reason.
    public static let appraisalFailed = ErrorCode(rawValue: "appraisal-failed")
    /// Certifier: the attesting platform reached the policy's cap on admissions per hour.
    public static let rateLimited = ErrorCode(rawValue: "rate-limited")
    /// Certifier: no freshness anchor exists for the federation yet.
    public static let noAnchor = ErrorCode(rawValue: "no-anchor")
    /// Certifier: an `anchor-advance` did not start from the anchor the certifier holds; the message
    /// names what it holds.
    public static let anchorConflict = ErrorCode(rawValue: "anchor-conflict")
    /// Runtime: the change was not acknowledged because its sealed state could not be anchored at the
    /// certifier now; send it again later. Certifier: its database is out of reach for now (`retry-after`
    /// says when to ask again); ask again, or at another replica.
    public static let unavailable = ErrorCode(rawValue: "unavailable")
    /// Runtime: this device already has the policy's most training requests unanswered; the
    /// error's `retry-after` says after how many seconds to send it again.
    public static let busy = ErrorCode(rawValue: "busy")
    /// Runtime: no model has been uploaded yet.
    public static let noModel = ErrorCode(rawValue: "no-model")
    /// Runtime: a model blob failed validation; the message names the field.
    public static let invalidModel = ErrorCode(rawValue: "invalid-model")
    /// Runtime, FL: an update for another round.
    public static let wrongRound = ErrorCode(rawValue: "wrong-round")
    /// Runtime, FL: a second update in a round from the same platform or certificate (`fl.one-update-per`).
    public static let duplicateUpdate = ErrorCode(rawValue: "duplicate-update")
    /// Runtime, FL with `fl.privacy`: Poisson sampling did not draw this device (platform or certificate,
    /// per `fl.one-update-per`) for the open round; it takes no part and awaits the next global model.
    public static let notSampled = ErrorCode(rawValue: "not-sampled")
    /// Runtime, FL with `fl.privacy`: another round would spend more than the policy's `max-epsilon`, so
    /// the federation has stopped; get-model still serves the last global model.
    public static let budgetExhausted = ErrorCode(rawValue: "budget-exhausted")
}
