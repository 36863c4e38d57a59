import Dispatch
import Foundation

/// Runs a handler on every SIGHUP instead of letting the signal end the process, so a server can reload
/// its configuration and reopen its log files (the daemon convention logrotate's `postrotate` relies on).
///
/// The handler runs on a serial queue of its own: two reloads never overlap. Signals that arrive while
/// it runs are merged into one more run. Not `Sendable`: the executable keeps it alive while it serves.
public final class HangupTrap {
    private let source: any DispatchSourceSignal

    /// Traps SIGHUP from now on; `handler` runs on the trap's queue for each one.
    public init(_ handler: @escaping @Sendable () -> Void) {
        // The default action would end the process before the source could see the signal.
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "hangup-trap"))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    deinit {
        source.cancel()
    }
}
