import CommandSupport
import Foundation
import Glibc
import Synchronization

/// What the bench started outside itself (server and attacker processes, PostgreSQL clusters), ended
/// when the bench is stopped by SIGINT or SIGTERM, so that nothing it started outlives it.
enum BenchChildren {
    private static let cleanups = Mutex<(next: Int, byID: [Int: @Sendable () -> Void])>((0, [:]))

    /// Runs `cleanup` if the bench is stopped by a signal, until `forget` is called with the returned id.
    @discardableResult
    static func onSignal(_ cleanup: @escaping @Sendable () -> Void) -> Int {
        cleanups.withLock { held in
            held.next += 1
            held.byID[held.next] = cleanup
            return held.next
        }
    }

    /// Drops the cleanup `id` (the thing it ends is gone already).
    static func forget(_ id: Int) {
        _ = cleanups.withLock { $0.byID.removeValue(forKey: id) }
    }

    /// Starts `process`, killed if the bench is stopped by a signal while it runs.
    static func run(_ process: Process) throws {
        try process.run()
        let pid = process.processIdentifier
        let id = onSignal { kill(pid, SIGKILL) }
        // Forgotten once it ended, so that a signal later never kills a process that reused the pid.
        process.terminationHandler = { _ in forget(id) }
        if !process.isRunning { forget(id) }
    }

    /// Traps SIGINT and SIGTERM for the bench's whole run: each runs every cleanup, then the bench exits
    /// with 128 + the signal's number, as the signal would have ended it.
    static func trapSignals() -> SignalTrap {
        SignalTrap { signal in
            StandardError.line("cml-bench: \(signal): stopping what the bench started")
            let all = cleanups.withLock { Array($0.byID.values) }
            for cleanup in all { cleanup() }
            _exit(signal == "SIGINT" ? 130 : 143)
        }
    }
}
