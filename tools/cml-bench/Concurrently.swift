import CommandSupport
import Foundation
import OpenSSLKit
import Synchronization

/// Runs `work(index)` on `count` threads at once and rethrows the first failure, naming `label`.
func runConcurrently(_ count: Int, label: String, _ work: @escaping @Sendable (Int) throws -> Void) throws {
    let failures = Mutex([String]())
    let finished = DispatchGroup()
    for index in 0..<count {
        finished.enter()
        let thread = Thread {
            do { try work(index) } catch { failures.withLock { $0.append("\(error)") } }
            // The process may exit as soon as the last thread leaves: let OpenSSL go first.
            OpenSSLThread.finish()
            finished.leave()
        }
        thread.stackSize = 256 << 10
        thread.start()
    }
    finished.wait()
    if let first = failures.withLock({ $0.first }) {
        throw CommandFailure("\(label): \(failures.withLock { $0.count }) of \(count) clients failed, first: \(first)")
    }
}
