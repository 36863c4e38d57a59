import Foundation
import Synchronization

/// Runs `work(index)` for every index below `count`, each on its own thread and all at once; waits for
/// every thread and returns their results in index order.
///
/// Each thread frees its OpenSSL state (`OpenSSLThread.finish()`) before it reports, so that the
/// caller may exit as soon as this returns: that is why it lives beside OpenSSL.
public func concurrentResults<Value: Sendable>(
    _ count: Int, stackSize: Int = 1 << 20, _ work: @escaping @Sendable (Int) throws -> Value
) -> [Result<Value, any Error>] {
    let results = Mutex([Result<Value, any Error>?](repeating: nil, count: max(0, count)))
    let finished = DispatchGroup()
    for index in 0..<max(0, count) {
        finished.enter()
        let thread = Thread {
            let result = Result { try work(index) }
            results.withLock { $0[index] = result }
            OpenSSLThread.finish()
            finished.leave()
        }
        thread.stackSize = stackSize
        thread.start()
    }
    finished.wait()
    // Every slot is filled once the group is done.
    return results.withLock { $0.compactMap { $0 } }
}

/// `concurrentResults`'s values in index order; rethrows the first failure (by index) once every
/// thread is done.
public func concurrently<Value: Sendable>(
    _ count: Int, stackSize: Int = 1 << 20, _ work: @escaping @Sendable (Int) throws -> Value
) throws -> [Value] {
    try concurrentResults(count, stackSize: stackSize, work).map { try $0.get() }
}
