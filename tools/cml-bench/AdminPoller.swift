import Admin
import Foundation
import Synchronization

/// Fetches /status and /metrics from an admin endpoint every second on a thread of its own, as an open
/// console page and a Prometheus scrape would, so that the bench measures the runtime while it is watched.
final class AdminPoller: Sendable {
    private let stopping = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    /// Starts polling 127.0.0.1:`port`.
    init(port: UInt16) {
        let thread = Thread { [self] in
            while !stopping.withLock({ $0 }) {
                _ = try? AdminClient.get("/status", host: "127.0.0.1", port: port)
                _ = try? AdminClient.get("/metrics", host: "127.0.0.1", port: port)
                Thread.sleep(forTimeInterval: 1)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops polling and waits for the thread's last fetch.
    func stop() {
        stopping.withLock { $0 = true }
        done.wait()
    }
}
