@testable import Certifier
import Foundation
import Synchronization
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

    @Test func oneOwnerAskingAgainAndAgainGrowsNothing() {
        let store = NonceStore(lifetime: 60, capacity: 10)
        for owner in 0..<5 { _ = store.issue(to: UInt64(owner), now: start) }
        var last: NonceStore.Issued?
        for _ in 0..<10_000 { last = store.issue(to: 99, now: start) }
        #expect(store.queueLength <= 2 * store.capacity + 1)
        #expect(store.count == 6)
        // The other owners' nonces were not pushed out, and the spammer's last one still works.
        for owner in 0..<5 { #expect(store.redeem(for: UInt64(owner), now: start) != .failure(.unknown)) }
        #expect(store.redeem(for: 99, now: start) == .success(last?.nonce ?? []))
        // Oldest-first eviction still follows the order of issue after the queue was compacted.
        for owner in 100..<110 { _ = store.issue(to: UInt64(owner), now: start) }
        #expect(store.count == 10)
        #expect(store.redeem(for: 0, now: start) == .failure(.unknown))
        #expect(store.redeem(for: 109, now: start) != .failure(.unknown))
    }

    @Test func manyThreadsIssueAndRedeemSafely() {
        let store = NonceStore(lifetime: 60)
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let owner = UInt64(index)
            let issued = store.issue(to: owner)
            if store.redeem(for: owner) != .success(issued.nonce) { mismatches.withLock { $0 += 1 } }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(store.count == 64)
    }
}
