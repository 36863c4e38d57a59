import Foundation
internal import OpenSSLKit

/// A fixed number of threads that run the handlers' work (training, aggregation, token checks), so
/// that the event loop never blocks and a flood of requests queues instead of making threads.
///
/// `@unchecked Sendable`: `jobs` and `stopping` are touched only with `condition` locked.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private var busy = 0

    /// Starts `threads` threads of `stackSize` bytes; fewer if the system refuses some (at least one is needed).
    init(threads: Int, stackSize: Int) throws(ChannelError) {
        for _ in 0..<max(1, threads) {
            if WorkerThread.start(stackSize: stackSize, { [self] in work() }) {
                condition.lock()
                running += 1
                condition.unlock()
            }
        }
        guard running > 0 else {
            throw ChannelError(kind: .transport, code: .internal, message: "could not start any worker thread")
        }
    }

    /// Queues `job` for the next free thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Whether no job is queued or running.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return busy == 0 && head == jobs.count
    }

    /// Lets the threads end once the queue is empty.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        defer { OpenSSLThread.finish() }
        while true {
            condition.lock()
            while head == jobs.count, !stopping { condition.wait() }
            guard head < jobs.count else {
                running -= 1
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            busy += 1
            condition.unlock()
            job()
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}
