/// How long a client waits before its next attempt at another replica: exponential backoff with full
/// jitter (a uniform wait between zero and `min(cap, base * 2^(failures - 1))`), so that many devices
/// that lost the same replica at the same moment do not arrive at the next one together.
public struct RetryBackoff: Sendable, Equatable {
    /// The ceiling of the wait after the first failure.
    public var base: Duration
    /// The largest ceiling, however many failures came before.
    public var cap: Duration

    /// Waits of at most `base` after the first failure, doubling up to `cap`: 100 ms and 5 s by default.
    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the wait after `failures` failures in a row (1: `base`), never above `cap`.
    public func ceiling(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        // Past 2^30 times the base any cap is reached; stopping there keeps the multiplication in range.
        let doublings = min(failures - 1, 30)
        let ceiling = base * (1 << doublings)
        return ceiling < cap ? ceiling : cap
    }

    /// The wait after `failures` failures, `unit` (drawn uniformly from [0, 1) by the caller's random
    /// source) of the way up to the ceiling; a `unit` outside [0, 1] is clamped.
    public func delay(afterFailures failures: Int, unit: Double) -> Duration {
        let fraction = unit.isNaN ? 0 : min(max(unit, 0), 1)
        return ceiling(afterFailures: failures) * fraction
    }
}
