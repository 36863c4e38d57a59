import CommandSupport
import OpenSSLKit

/// Runs `work(index)` on `count` threads at once; throws, naming `label`, how many failed and the first
/// failure (by index).
func runConcurrently(_ count: Int, label: String, _ work: @escaping @Sendable (Int) throws -> Void) throws {
    let failures = concurrentResults(count, stackSize: 256 << 10, work).compactMap { result -> String? in
        guard case .failure(let error) = result else { return nil }
        return "\(error)"
    }
    if let first = failures.first {
        throw CommandFailure("\(label): \(failures.count) of \(count) clients failed, first: \(first)")
    }
}
