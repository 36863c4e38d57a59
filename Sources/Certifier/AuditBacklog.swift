import Synchronization

/// Audit lines that could not be written because the shared store was out of reach (a database outage),
/// kept in memory in order and written, with their own times, when it answers again.
///
/// A refusal or an event is already answered or done when its line is written, so the line is kept
/// rather than lost; an admission is never held here (it is recorded in its own transaction or not made).
/// At most `capacity` lines are kept: past that, a line is handed back to the caller, which logs it whole,
/// so that a long outage under a flood cannot exhaust memory and still loses no line unseen.
final class AuditBacklog: Sendable {
    /// The most lines kept.
    let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var entries: [AuditEntry] = []
        /// True while one thread writes a batch out: others then hold their lines behind it, in order.
        var flushing = false
    }

    /// A backlog of at most `capacity` lines.
    init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// How many lines are held, not counting a batch being written.
    var count: Int { state.withLock { $0.entries.count } }

    /// Holds `entry` behind the lines held or being written, if there are any (a line must not overtake
    /// them); `.notPending`, holding nothing, when there are none and it may be written at once.
    func holdIfPending(_ entry: AuditEntry) -> HoldOutcome {
        state.withLock { state in
            guard state.flushing || !state.entries.isEmpty else { return .notPending }
            return Self.append(entry, to: &state, capacity: capacity)
        }
    }

    /// Holds `entry`, which could not be written: `.held` (and whether it is the first held, so the
    /// outage is logged once), or `.full` when `capacity` lines are held already.
    func hold(_ entry: AuditEntry) -> HoldOutcome {
        state.withLock { state in Self.append(entry, to: &state, capacity: capacity) }
    }

    /// What became of a line offered to the backlog.
    enum HoldOutcome: Equatable {
        /// Nothing was held or being written: write it now.
        case notPending
        /// Kept; `first` when the backlog was empty before (an outage began).
        case held(first: Bool)
        /// Not kept: the backlog is full.
        case full
    }

    private static func append(_ entry: AuditEntry, to state: inout State, capacity: Int) -> HoldOutcome {
        guard state.entries.count < capacity else { return .full }
        let first = state.entries.isEmpty && !state.flushing
        state.entries.append(entry)
        return .held(first: first)
    }

    /// Writes the held lines in order with `write` until it throws (the store is still out of reach: the
    /// rest stay held, in order) or none are left; returns how many were written. Only one thread writes
    /// at a time; another calling meanwhile returns 0 at once.
    func flush(_ write: (AuditEntry) throws(CertifierError) -> Void) -> (written: Int, failure: CertifierError?) {
        var written = 0
        while true {
            let batch: [AuditEntry]? = state.withLock { state in
                guard !state.flushing, !state.entries.isEmpty else { return nil }
                state.flushing = true
                defer { state.entries.removeAll() }
                return state.entries
            }
            guard let batch else { return (written, nil) }
            var done = 0
            var failure: CertifierError?
            for entry in batch {
                do {
                    try write(entry)
                    done += 1
                } catch {
                    failure = error
                    break
                }
            }
            written += done
            state.withLock { state in
                // The lines held while this batch was written come after what is left of it.
                state.entries = Array(batch[done...]) + state.entries
                state.flushing = false
            }
            if let failure { return (written, failure) }
        }
    }

    /// Takes every held line out (at the end of serving, when they could not be written: the caller logs them).
    func drain() -> [AuditEntry] {
        state.withLock { state in
            defer { state.entries.removeAll() }
            return state.entries
        }
    }
}
