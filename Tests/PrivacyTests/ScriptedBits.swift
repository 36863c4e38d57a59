import Foundation
import Privacy

/// Random words given in advance, to pin exactly what a sampler decides for them; traps past the end
/// because a test that runs out has a wrong expectation.
final class ScriptedBits: RandomBits {
    private var words: [UInt64]

    init(_ words: [UInt64]) { self.words = words }

    func next() -> UInt64 { words.removeFirst() }

    /// Whether every word was used.
    var isSpent: Bool { words.isEmpty }
}

/// Bounds for the statistical tests, each failing with probability at most `failure` when the sampler is right.
enum Bounds {
    /// Every statistical test's failure probability.
    static let failure = 1e-6

    /// Hoeffding: the mean of n draws in [0, 1] lies within this of its expectation except with
    /// probability `failure` (2·exp(-2nt²) = failure).
    static func hoeffding(draws n: Int, failure: Double = failure) -> Double {
        (log(2 / failure) / (2 * Double(n))).squareRoot()
    }

    /// Bernstein: the mean of n draws in [0, range] with variance `variance` lies within t of its
    /// expectation except with probability 2·exp(-n t² / (2·variance + 2·range·t/3)) = failure; t solves
    /// that quadratic.
    static func bernstein(draws n: Int, range: Double, variance: Double, failure: Double = failure) -> Double {
        let logTerm = log(2 / failure)
        let linear = 2 * range / 3 * logTerm
        return (linear + (linear * linear + 8 * Double(n) * variance * logTerm).squareRoot()) / (2 * Double(n))
    }
}
