import Dispatch
import Logging
import Synchronization

/// Stops `serve` when the certifier refuses an advance with anchor-conflict: another runtime moved
/// the anchor of this federation, so nothing this one writes can be anchored again, and answering
/// `unavailable` forever would hide it. The first conflict is logged and wakes `serve`, which stops the
/// server and exits 1 (a supervisor's restart then checks the folder against the anchor).
final class AnchorConflictStop: Sendable {
    private let logger: Logger
    private let stopped: DispatchSemaphore
    private let first = Mutex<String?>(nil)

    /// Wakes `stopped` (which `serve` waits on) at the first conflict.
    init(logger: Logger, stopped: DispatchSemaphore) {
        self.logger = logger
        self.stopped = stopped
    }

    /// The conflict that stopped the runtime, if one did.
    var reason: String? { first.withLock { $0 } }

    /// Records the conflict `reason` and wakes `serve`; later conflicts are ignored.
    func stop(reason: String) {
        let isFirst = first.withLock { (held: inout String?) -> Bool in
            guard held == nil else { return false }
            held = reason
            return true
        }
        guard isFirst else { return }
        logger.error(
            "\(reason): another runtime advanced the anchor of this federation, so this one can no longer anchor its sealed state; stopping")
        stopped.signal()
    }
}
