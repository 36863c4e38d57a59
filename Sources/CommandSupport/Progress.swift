public import Foundation

/// Progress of long work on standard error: one redrawn line on a terminal,
/// plain lines at most every `interval` seconds otherwise.
public final class Progress {
    private let label: String
    private let interval: TimeInterval
    private let redraws = StandardError.isTerminal
    private var lastReport = Date.distantPast
    private var drewLine = false

    /// Progress lines headed `label`, at most every `interval` seconds when not redrawn.
    public init(label: String, interval: TimeInterval = 2) {
        self.label = label
        self.interval = interval
    }

    /// Reports `status` if enough time has passed since the last report, or always when `force` is set.
    public func report(_ status: @autoclosure () -> String, force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastReport) >= (redraws ? 0.1 : interval) else { return }
        lastReport = now
        if redraws {
            StandardError.raw("\r\u{1B}[2K\(label): \(status())")
            drewLine = true
        } else {
            StandardError.line("\(label): \(status())")
        }
    }

    /// Ends a redrawn line so later output starts on a fresh one.
    public func finish() {
        if drewLine { StandardError.raw("\n") }
        drewLine = false
    }
}
