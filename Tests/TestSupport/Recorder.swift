import Synchronization

/// What callbacks on any thread reported, in order, for a test to read after.
public final class Recorder<Entry: Sendable>: Sendable {
    private let entries = Mutex<[Entry]>([])

    /// Nothing recorded yet.
    public init() {}

    /// Records `entry`.
    public func record(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    /// Everything recorded so far.
    public var all: [Entry] { entries.withLock { $0 } }
}
