import Foundation

/// A value behind a lock with a condition: threads change it under the lock, and wait, with a time
/// limit, for another thread to change it.
///
/// `@unchecked Sendable`: `value` is read and written only while `condition` is locked.
final class GuardedState<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` on the value under the lock.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value)
    }

    /// Runs `body` under the lock, then wakes every waiting thread.
    func changeAndBroadcast<Result>(_ body: (inout Value) -> Result) -> Result {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body(&value)
    }

    /// Under the lock, calls `check` until it returns a result, waiting for a broadcast (or at most
    /// `interval`) between calls; `check` may throw to stop waiting.
    func wait<Result, Failure: Error>(
        polling interval: TimeInterval, _ check: (inout Value) throws(Failure) -> Result?
    ) throws(Failure) -> Result {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = try check(&value) { return result }
            _ = condition.wait(until: Date() + interval)
        }
    }
}
