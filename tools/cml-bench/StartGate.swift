import CommandSupport
import Foundation
import Synchronization

/// Starts a timed step on many threads at once and times it: each party arrives and waits until the
/// last one arrives (which opens the gate and starts the clock), and reports when it is done; the step
/// lasts from the opening to the last report. Creating thousands of threads thus stays out of the time.
final class StartGate: Sendable {
    private struct State {
        var arrived = 0
        var opened: ContinuousClock.Instant?
        var lastFinish: ContinuousClock.Instant?
        var finishes = 0
    }

    private let parties: Int
    private let state = Mutex(State())
    private let condition = NSCondition()

    /// A gate for `parties` threads.
    init(parties: Int) {
        self.parties = parties
    }

    /// Waits until every party arrived; the last one to arrive opens the gate.
    func arriveAndWait() {
        condition.lock()
        defer { condition.unlock() }
        let last = state.withLock { state -> Bool in
            state.arrived += 1
            guard state.arrived == parties else { return false }
            state.opened = .now
            return true
        }
        if last {
            condition.broadcast()
            return
        }
        while state.withLock({ $0.opened == nil }) { condition.wait() }
    }

    /// Records that one party finished its step.
    func finished() {
        let now = ContinuousClock.now
        state.withLock { state in
            state.finishes += 1
            state.lastFinish = max(state.lastFinish ?? now, now)
        }
    }

    /// Seconds from the opening to the last finish; throws unless every party finished.
    func elapsedSeconds() throws -> Double {
        try state.withLock { state in
            guard let opened = state.opened, let last = state.lastFinish, state.finishes == parties else {
                throw CommandFailure("the timed step did not finish on all \(parties) threads (\(state.finishes) did)")
            }
            let elapsed = last - opened
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }
    }
}
