import Channel
import Foundation
import OpenSSLKit
import Synchronization

/// One thread of its own that runs submitted work one item at a time, taking turns between keys (the
/// devices): each key's work runs in the order submitted, and the keys take turns round-robin, so one
/// key's backlog delays another key's single item by at most the item running when it arrived.
///
/// A key with nothing waiting or running goes ahead of the keys that already have a backlog, until it
/// submits a second item; a key that still has an item running joins the end of the round. It bounds nothing itself: the caller limits
/// what each key may submit (`TrainingQueue`).
final class FairScheduler: Sendable {
    private struct State: ~Copyable {
        /// The work waiting per key, oldest first.
        var waiting: [String: [@Sendable () -> Void]] = [:]
        /// Keys that had nothing waiting or running when their work arrived and have one item waiting:
        /// their turn comes first.
        var newcomers: [String] = []
        /// Keys with a backlog, in the order of their next turn.
        var round: [String] = []
        /// Items waiting or running per key.
        var outstanding: [String: Int] = [:]
        var stopping = false
    }

    private let state = Mutex(State())
    /// Signalled once per item, and once more by `stop()`.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let name: String

    /// Starts the thread, named `name` in errors, with a stack of `stackSize` bytes (training needs more
    /// than a connection worker's).
    init(name: String, stackSize: Int = 8 << 20) {
        self.name = name
        let thread = Thread { [self] in
            loop()
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    /// How many items of `key` are waiting or running now.
    func outstanding(_ key: String) -> Int { state.withLock { $0.outstanding[key] ?? 0 } }

    /// Runs `work` for `key` in its turn and returns its result; throws `internal` if the scheduler is
    /// stopping. The calling thread waits: a server's handler uses `submit` instead.
    func perform<Value: Sendable>(
        key: String, _ work: @escaping @Sendable () throws(ChannelError) -> Value
    ) throws(ChannelError) -> Value {
        let outcome = Mutex<Result<Value, ChannelError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        try submit(key: key, work) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        // `then` stored a result before it signalled.
        guard let result = outcome.withLock({ $0 }) else { throw ChannelError(.internal, "the \(name) lost a result") }
        return try result.get()
    }

    /// Queues `work` for `key` and returns at once; in its turn, `work` runs on the scheduler's thread and
    /// `then` gets its result there, so a request waiting for its turn holds no other thread. Throws
    /// `internal` if the scheduler is stopping.
    func submit<Value: Sendable>(
        key: String, _ work: @escaping @Sendable () throws(ChannelError) -> Value,
        then: @escaping @Sendable (Result<Value, ChannelError>) -> Void
    ) throws(ChannelError) {
        let job: @Sendable () -> Void = { [self] in
            let result = Result { () throws(ChannelError) -> Value in try work() }
            // Before the submitter hears, so that its next item is not counted against it.
            finish(key)
            then(result)
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            let count = state.outstanding[key] ?? 0
            state.outstanding[key] = count + 1
            if state.waiting[key, default: []].isEmpty {
                if count == 0 { state.newcomers.append(key) } else { state.round.append(key) }
            } else if let index = state.newcomers.firstIndex(of: key) {
                // A newcomer with a second item has a backlog now: it must not go ahead of another key's single item.
                state.newcomers.remove(at: index)
                state.round.append(key)
            }
            state.waiting[key, default: []].append(job)
            return true
        }
        guard accepted else { throw ChannelError(.internal, "the \(name) is stopping") }
        available.signal()
    }

    /// Refuses new work, lets the thread finish what was submitted, and waits for it (at most `timeout`).
    func stop(timeout: Duration = .seconds(30)) {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        available.signal()
        let (seconds, attoseconds) = timeout.components
        _ = finished.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }

    /// The next item in turn; nil when nothing waits.
    private func next() -> (@Sendable () -> Void)? {
        state.withLock { state in
            let key: String
            if !state.newcomers.isEmpty {
                key = state.newcomers.removeFirst()
            } else if !state.round.isEmpty {
                key = state.round.removeFirst()
            } else {
                return nil
            }
            // A key is in one of the two lists exactly while it has work waiting.
            guard var queue = state.waiting.removeValue(forKey: key), !queue.isEmpty else { return nil }
            let job = queue.removeFirst()
            if !queue.isEmpty {
                state.waiting[key] = queue
                state.round.append(key)
            }
            return job
        }
    }

    private func finish(_ key: String) {
        state.withLock { state in
            let count = (state.outstanding[key] ?? 1) - 1
            state.outstanding[key] = count > 0 ? count : nil
        }
    }

    private func loop() {
        while true {
            available.wait()
            // Only stop() signals without an item, and it does so after the last item was submitted.
            guard let job = next() else { break }
            job()
        }
        // The jobs hashed and sealed with OpenSSL; leave it before stop() lets the process exit.
        OpenSSLThread.finish()
        finished.signal()
    }
}
