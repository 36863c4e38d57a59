import CommandSupport
import OpenSSLKit
import Synchronization

/// Device contexts filled in by several threads.
final class Contexts: Sendable {
    private let contexts: Mutex<[TLSContext?]>

    init(count: Int) {
        contexts = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ index: Int, _ context: TLSContext) {
        contexts.withLock { $0[index] = context }
    }

    func all() throws -> [TLSContext] {
        try contexts.withLock { $0 }.enumerated().map { index, context in
            guard let context else { throw CommandFailure("fl: device \(index) was not admitted") }
            return context
        }
    }
}
