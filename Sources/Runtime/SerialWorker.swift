import Channel
import Foundation
import OpenSSLKit
import Synchronization

/// One thread of its own that runs submitted work one item at a time, in the order submitted; the
/// submitting thread waits for its item's result.
///
/// Training runs here rather than on connection threads: those have small stacks (256 KiB, so that
/// hundreds fit), and only one model update may run at a time anyway.
final class SerialWorker: Sendable {
    private struct State: ~Copyable {
        var jobs: [@Sendable () -> Void] = []
        var next = 0
        var stopping = false
    }

    private let state = Mutex(State())
    /// Signalled once per job, and once more by `stop()`.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let name: String

    /// Starts the thread, named `name` in errors, with a stack of `stackSize` bytes.
    init(name: String, stackSize: Int = 8 << 20) {
        self.name = name
        let thread = Thread { [self] in
            loop()
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    /// Runs `work` on the worker after everything submitted before it and returns its result.
    /// Throws `internal` if the worker is stopping.
    func perform<Value: Sendable>(_ work: @escaping @Sendable () throws(ChannelError) -> Value) throws(ChannelError) -> Value {
        let outcome = Mutex<Result<Value, ChannelError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.jobs.append {
                let result = Result { () throws(ChannelError) -> Value in try work() }
                outcome.withLock { $0 = result }
                done.signal()
            }
            return true
        }
        guard accepted else { throw ChannelError(.internal, "the \(name) is stopping") }
        available.signal()
        done.wait()
        // The job stored a result before it signalled.
        guard let result = outcome.withLock({ $0 }) else { throw ChannelError(.internal, "the \(name) lost a result") }
        return try result.get()
    }

    /// Refuses new work, lets the thread finish what was submitted, and waits for it (at most `timeout`).
    func stop(timeout: Duration = .seconds(30)) {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        available.signal()
        let (seconds, attoseconds) = timeout.components
        _ = finished.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }

    private func loop() {
        while true {
            available.wait()
            let job = state.withLock { state -> (@Sendable () -> Void)? in
                guard state.next < state.jobs.count else { return nil }
                let job = state.jobs[state.next]
                state.next += 1
                // Drop what has run now and then, rather than shifting the array on every job.
                if state.next == state.jobs.count || state.next >= 1024 {
                    state.jobs.removeFirst(state.next)
                    state.next = 0
                }
                return job
            }
            // Only stop() signals without a job, and it does so after the last job was submitted.
            guard let job else { break }
            job()
        }
        // The jobs hashed and sealed with OpenSSL; leave it before stop() lets the process exit.
        OpenSSLThread.finish()
        finished.signal()
    }
}
