import Foundation
import OpenSSLKit
import Synchronization

/// Runs `work(index)` on `count` threads at once and returns the results in index order; rethrows the
/// first failure (by index) once every thread is done.
public func concurrently<Value: Sendable>(
    _ count: Int, stackSize: Int = 1 << 20, _ work: @escaping @Sendable (Int) throws -> Value
) throws -> [Value] {
    let results = ResultsBox<Value>(count: count)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            results.set(index, Result { try work(index) })
            // The process may exit once the last thread leaves: let OpenSSL go first.
            OpenSSLThread.finish()
            group.leave()
        }
        thread.stackSize = stackSize
        thread.start()
    }
    group.wait()
    return try results.values()
}

private final class ResultsBox<Value: Sendable>: Sendable {
    private let results: Mutex<[Result<Value, any Error>?]>

    init(count: Int) {
        results = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        results.withLock { $0[index] = result }
    }

    func values() throws -> [Value] {
        try results.withLock { $0 }.map { try $0!.get() }
    }
}
