import Dispatch
import Foundation
import Synchronization

/// Runs a handler, once, on SIGINT or SIGTERM instead of letting the signal kill the process, so a
/// server can stop cleanly (close connections, finish the work it accepted).
///
/// Not `Sendable`: the executable keeps it alive on its main thread while it serves.
public final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    /// Traps SIGINT and SIGTERM from now on; `handler` gets the signal's name and runs on a queue of its own.
    public init(_ handler: @escaping @Sendable (_ signal: String) -> Void) {
        let queue = DispatchQueue(label: "signal-trap")
        let fired = Mutex(false)
        sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
            // The default action would end the process before the source could see the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let first = fired.withLock { fired in
                    defer { fired = true }
                    return !fired
                }
                if first { handler(name) }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
