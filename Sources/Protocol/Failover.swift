public import Channel
import Foundation

/// The order and pace in which a client tries a server's replicas: the addresses in the order given,
/// starting from the one that last worked, with a jittered exponential wait (`RetryBackoff`) before each
/// new attempt, and a bounded number of attempts. When every attempt failed, the error names each
/// address tried and what it last answered.
///
/// Which failures move on is the caller's to say (`run`'s `movesOn`): only the caller knows whether its
/// request may be sent again (docs/protocol.md, "Several replicas").
public struct Failover: Sendable {
    /// The replicas, in the order to try them.
    public let addresses: [ServerAddress]
    /// The wait before each attempt after a failure.
    public var backoff: RetryBackoff
    /// The most attempts one `run` makes, counting the first.
    public var maxAttempts: Int
    /// Waits for the given time (tests inject one that records the wait and returns).
    public var sleep: @Sendable (Duration) -> Void
    /// A number drawn uniformly from [0, 1), for the jitter.
    public var random: @Sendable () -> Double
    /// Hears each move to another address, before the wait: where from, where to, why, and how long the
    /// wait is.
    public var onMove: (@Sendable (_ from: ServerAddress, _ to: ServerAddress, _ reason: String, _ wait: Duration) -> Void)?

    /// Tries `addresses` in order with `backoff`; at most `maxAttempts` attempts (by default one for a
    /// single address, as before replicas, and two rounds of the list for several).
    public init(addresses: [ServerAddress], backoff: RetryBackoff = RetryBackoff(), maxAttempts: Int? = nil) {
        self.addresses = addresses
        self.backoff = backoff
        self.maxAttempts = max(1, maxAttempts ?? (addresses.count > 1 ? 2 * addresses.count : 1))
        self.sleep = { duration in
            let (seconds, attoseconds) = duration.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        self.random = { Double.random(in: 0..<1) }
    }

    /// Runs `attempt` with the index of an address, starting at `start`, and moves to the next address
    /// (after the backoff) when it throws an error that `movesOn` accepts. Returns the answer and the
    /// index of the address that gave it; throws the error that did not move on, or, when the attempts
    /// ran out, one naming every address tried (the last failure alone for a single address).
    public func run<Answer>(
        from start: Int, _ attempt: (_ index: Int) throws(ChannelError) -> Answer, movesOn: (ChannelError) -> Bool
    ) throws(ChannelError) -> (answer: Answer, index: Int) {
        try run(from: start, attempt, movesOn: movesOn) { (tried, last) in
            ChannelError(kind: last.kind, code: last.code, message: tried, cause: last, retryAfterSeconds: last.retryAfterSeconds)
        }
    }

    /// `run` for any error type: `exhausted` makes the final error from the text naming every address
    /// tried and the last failure.
    public func run<Answer, Failure: Error & CustomStringConvertible>(
        from start: Int, _ attempt: (_ index: Int) throws(Failure) -> Answer, movesOn: (Failure) -> Bool,
        exhausted: (_ tried: String, _ last: Failure) -> Failure
    ) throws(Failure) -> (answer: Answer, index: Int) {
        var index = addresses.indices.contains(start) ? start : 0
        var failures: [(index: Int, error: Failure)] = []
        while true {
            do {
                return (try attempt(index), index)
            } catch {
                failures.append((index, error))
                guard movesOn(error) else { throw error }
                guard failures.count < maxAttempts, !addresses.isEmpty else {
                    guard addresses.count > 1 else { throw error }
                    throw exhausted(triedText(failures), error)
                }
                let next = (index + 1) % addresses.count
                let wait = backoff.delay(afterFailures: failures.count, unit: random())
                onMove?(addresses[index], addresses[next], error.description, wait)
                sleep(wait)
                index = next
            }
        }
    }

    /// "no replica answered in 4 attempts at A, B: A: reason; B: reason", with each address's last
    /// failure, in the order first tried.
    private func triedText<Failure: CustomStringConvertible>(_ failures: [(index: Int, error: Failure)]) -> String {
        var order: [Int] = []
        var lastReason: [Int: String] = [:]
        for failure in failures {
            if lastReason[failure.index] == nil { order.append(failure.index) }
            lastReason[failure.index] = failure.error.description
        }
        let reasons = order.map { index -> String in
            let address = addresses[index].description
            let reason = lastReason[index] ?? ""
            return reason.contains(address) ? reason : "\(address): \(reason)"
        }
        let tried = order.map { addresses[$0].description }.joined(separator: ", ")
        return "no replica answered in \(failures.count) attempts at \(tried): \(reasons.joined(separator: "; "))"
    }
}
