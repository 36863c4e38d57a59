import Certifier
import Foundation
import Testing

@Suite struct NonceStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aNonceIsRedeemedOnceByItsOwner() {
        let store = NonceStore(lifetime: 60)
        let issued = store.issue(to: 1, now: start)
        #expect(issued.nonce.count == 32)
        #expect(issued.expires == start + 60)
        #expect(store.redeem(for: 1, now: start + 1) == .success(issued.nonce))
        #expect(store.redeem(for: 1, now: start + 2) == .failure(.reused))
        #expect(store.redeem(for: 2, now: start + 2) == .failure(.unknown))
        #expect(store.issue(to: 2, now: start).nonce != issued.nonce)
    }

    @Test func anExpiredNonceIsRefusedAndUsedUp() {
        let store = NonceStore(lifetime: 60)
        let issued = store.issue(to: 1, now: start)
        #expect(store.redeem(for: 1, now: start + 60) == .success(issued.nonce))
        _ = store.issue(to: 2, now: start)
        #expect(store.redeem(for: 2, now: start + 61) == .failure(.expired(start + 60)))
        #expect(store.redeem(for: 2, now: start + 62) == .failure(.reused))
    }

    @Test func askingAgainReplacesTheOwnersNonce() {
        let store = NonceStore(lifetime: 60)
        _ = store.issue(to: 1, now: start)
        let second = store.issue(to: 1, now: start)
        #expect(store.count == 1)
        #expect(store.redeem(for: 1, now: start) == .success(second.nonce))
    }

    @Test func memoryStaysBounded() {
        let store = NonceStore(lifetime: 10, capacity: 3)
        for owner in 0..<5 { _ = store.issue(to: UInt64(owner), now: start) }
        #expect(store.count == 3)
        // The oldest were forgotten first.
        #expect(store.redeem(for: 0, now: start) == .failure(.unknown))
        #expect(store.redeem(for: 4, now: start) != .failure(.unknown))
        // An expired entry is kept a lifetime more (to say "expired"), then purged on the next issue.
        let roomy = NonceStore(lifetime: 10)
        for owner in 0..<100 { _ = roomy.issue(to: UInt64(owner), now: start) }
        _ = roomy.issue(to: 1000, now: start + 15)
        #expect(roomy.count == 101)
        _ = roomy.issue(to: 1001, now: start + 21)
        #expect(roomy.count == 2)
        #expect(roomy.redeem(for: 5, now: start + 21) == .failure(.unknown))
    }

    @Test func manyThreadsIssueAndRedeemSafely() {
        let store = NonceStore(lifetime: 60)
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let owner = UInt64(index)
            let issued = store.issue(to: owner)
            precondition(store.redeem(for: owner) == .success(issued.nonce))
        }
        #expect(store.count == 64)
    }
}
