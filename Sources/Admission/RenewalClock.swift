public import Dispatch
public import Foundation

/// The time and the waits of an `AdmissionRenewal`: the system's in a role, a clock moved by hand in
/// tests (which then drive the retries and warnings without waiting).
public protocol RenewalClock: Sendable {
    /// The time now.
    var now: Date { get }
    /// Waits until `date` unless `stop` is signalled first; true if it was (and `stop` stays signalled).
    func wait(until date: Date, stop: DispatchSemaphore) -> Bool
}

/// The system's clock, waiting on the semaphore with a timeout.
public struct SystemRenewalClock: RenewalClock {
    /// The system's clock.
    public init() {}

    /// The wall-clock time: certificates' validity is in it.
    public var now: Date { Date() }

    /// Waits on `stop` until `date`.
    public func wait(until date: Date, stop: DispatchSemaphore) -> Bool {
        let wait = max(0, date.timeIntervalSinceNow)
        guard stop.wait(timeout: .now() + wait) == .success else { return false }
        stop.signal()  // stays stopped for any later wait
        return true
    }
}
