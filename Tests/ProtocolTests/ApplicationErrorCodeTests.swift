import Channel
import Protocol
import Testing

@Test func applicationErrorCodesAreThoseOfTheProtocol() {
    let codes: [ErrorCode] = [
        .nonceUnknown, .nonceExpired, .nonceReused, .evidenceRejected, .appraisalFailed, .noModel, .invalidModel, .wrongRound,
        .duplicateUpdate, .busy, .notSampled, .budgetExhausted,
    ]
    #expect(codes.map(\.rawValue) == [
        "nonce-unknown", "nonce-expired", "nonce-reused", "evidence-rejected", "appraisal-failed", "no-model", "invalid-model",
        "wrong-round", "duplicate-update", "busy", "not-sampled", "budget-exhausted",
    ])
}
