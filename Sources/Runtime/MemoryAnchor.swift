public import Protocol
import ByteKit
import Foundation
import Synchronization

/// A freshness anchor in memory, with the certifier's compare-and-swap rule: for in-process tests and
/// benchmarks, and to simulate an unreachable certifier (`isAvailable`).
public final class MemoryAnchor: FreshnessAnchor {
    private struct State {
        var anchors: [String: AnchorState] = [:]
        var available = true
        var advances = 0
    }

    private let state = Mutex(State())
    private let latency: Duration

    /// An anchor holding nothing yet, each advance taking `latency` (a certifier's round trip) first.
    public init(latency: Duration = .zero) {
        self.latency = latency
    }

    /// "the in-memory anchor".
    public var location: String { "the in-memory anchor" }

    /// Whether reads and advances succeed; false answers both with `unavailable`.
    public var isAvailable: Bool {
        get { state.withLock { $0.available } }
        set { state.withLock { $0.available = newValue } }
    }

    /// How many advances were applied (a repeated one that found its target counts too).
    public var advances: Int { state.withLock { $0.advances } }

    /// The anchor of `federation` as stored now.
    public func stored(federation: String) -> AnchorState? {
        state.withLock { $0.anchors[federation] }
    }

    public func read(federation: String) throws(AnchorFailure) -> AnchorState? {
        try state.withLock { (state) throws(AnchorFailure) in
            guard state.available else { throw .unavailable("the in-memory anchor is set unavailable") }
            return state.anchors[federation]
        }
    }

    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorFailure) {
        if latency > .zero { Thread.sleep(forTimeInterval: latency.inSeconds) }
        try state.withLock { (state) throws(AnchorFailure) in
            guard state.available else { throw .unavailable("the in-memory anchor is set unavailable") }
            switch AnchorState.decide(stored: state.anchors[federation], from: from, to: to) {
            case .apply: state.anchors[federation] = to
            case .alreadyThere: break
            case .conflict(let reason): throw .conflict(reason)
            }
            state.advances += 1
        }
    }
}
