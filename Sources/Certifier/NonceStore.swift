public import Foundation
import OpenSSLKit
import Synchronization

/// Why a nonce was not accepted.
public enum NonceRefusal: Error, Sendable, Equatable {
    /// No nonce was issued to this owner (or so long ago that it was forgotten).
    case unknown
    /// The nonce expired at this time.
    case expired(Date)
    /// The nonce was already used.
    case reused
}

/// Single-use nonces of 32 random bytes, each issued to an owner (a connection) and redeemed by it.
///
/// An owner holds at most one nonce: asking again replaces it. A nonce may be redeemed once, before it
/// expires. Memory stays bounded: entries are forgotten one lifetime after they expire (until then a
/// late or repeated use is told apart as expired or reused), beyond `capacity` the oldest go first, and
/// the issue queue drops replaced nonces once they outnumber the entries, so that one connection asking
/// again and again grows nothing.
public final class NonceStore: Sendable {
    /// A nonce and when it stops being accepted.
    public struct Issued: Sendable, Equatable {
        /// The 32 random bytes.
        public let nonce: [UInt8]
        /// The end of its validity.
        public let expires: Date
    }

    private struct Entry {
        var nonce: [UInt8]
        var expires: Date
        var used: Bool
    }

    private struct State: ~Copyable {
        var entries: [UInt64: Entry] = [:]
        /// Owners in order of issue, with the nonce and expiry issued then, for purging oldest first.
        var queue: [(owner: UInt64, nonce: [UInt8], expires: Date)] = []
        var head = 0
    }

    /// Bytes in a nonce.
    public static let size = 32
    /// How long a nonce is valid.
    public let lifetime: TimeInterval
    /// The most entries kept at once.
    public let capacity: Int
    private let state = Mutex(State())

    /// A store whose nonces live `lifetime` seconds, keeping at most `capacity` entries.
    public init(lifetime: TimeInterval, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Issues a fresh nonce to `owner`, replacing any it had, valid for `lifetime` (by default the
    /// store's: a reloaded policy may give another).
    public func issue(to owner: UInt64, now: Date = Date(), lifetime: TimeInterval? = nil) -> Issued {
        let issued = Issued(nonce: SecureRandom.bytes(Self.size), expires: now + (lifetime ?? self.lifetime))
        state.withLock { state in
            purge(&state, now: now)
            while state.entries.count >= capacity, state.head < state.queue.count {
                evictOldest(&state)
            }
            state.entries[owner] = Entry(nonce: issued.nonce, expires: issued.expires, used: false)
            state.queue.append((owner, issued.nonce, issued.expires))
            if state.queue.count - state.head > 2 * capacity {
                dropReplaced(&state)
            }
        }
        return issued
    }

    /// Redeems `owner`'s nonce: returns it and marks it used, or says why it cannot be used.
    public func redeem(for owner: UInt64, now: Date = Date()) -> Result<[UInt8], NonceRefusal> {
        state.withLock { state in
            guard var entry = state.entries[owner] else { return .failure(.unknown) }
            guard !entry.used else { return .failure(.reused) }
            entry.used = true
            state.entries[owner] = entry
            guard now <= entry.expires else { return .failure(.expired(entry.expires)) }
            return .success(entry.nonce)
        }
    }

    /// The nonce last issued to `owner`, used or not, or nil if none is remembered.
    public func nonce(of owner: UInt64) -> [UInt8]? {
        state.withLock { $0.entries[owner]?.nonce }
    }

    /// How many entries the store holds now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// How many issues the queue remembers, replaced ones included (at most about twice `capacity`).
    var queueLength: Int { state.withLock { $0.queue.count - $0.head } }

    /// Forgets entries that expired more than a lifetime ago.
    private func purge(_ state: inout State, now: Date) {
        while state.head < state.queue.count, state.queue[state.head].expires + lifetime < now {
            evictOldest(&state)
        }
    }

    /// Keeps in the queue only the issues that are still some owner's nonce, in order: linear, and run
    /// once per `capacity` issues at most, since it leaves no more than `capacity` behind.
    private func dropReplaced(_ state: inout State) {
        let entries = state.entries
        state.queue = state.queue[state.head...].filter { entries[$0.owner]?.nonce == $0.nonce }
        state.head = 0
    }

    private func evictOldest(_ state: inout State) {
        let (owner, nonce, _) = state.queue[state.head]
        state.head += 1
        // A later nonce of the same owner has its own queue entry; leave it.
        if state.entries[owner]?.nonce == nonce { state.entries[owner] = nil }
        if state.head > 1024, state.head * 2 > state.queue.count {
            state.queue.removeFirst(state.head)
            state.head = 0
        }
    }
}
