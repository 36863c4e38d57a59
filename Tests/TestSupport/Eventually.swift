import Foundation

/// Waits until `condition` holds, checking every 10 ms for at most `timeout`; returns whether it held.
///
/// For tests that wait on another thread or process: the timeout is generous, so a slow machine only
/// makes the test slower, never wrong.
public func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
}
