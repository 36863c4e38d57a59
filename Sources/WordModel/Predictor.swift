import BLASKit

/// Completes three-symbol prefixes to five-symbol words, autoregressively: symbol 3 from symbols 0-2,
/// then symbol 4 from symbols 1-2 and the predicted symbol 3.
///
/// A predictor keeps a copy of the weights and its own workspaces; it is not thread-safe.
public final class Predictor {
    /// Prefixes completed per batch by `complete(_: [String])`.
    public let batchCapacity: Int

    private let parameters: [Float]
    private let network: SimpleRNN
    private var inputs: [Sample]

    /// A predictor for `weights`, batching up to `batchCapacity` prefixes at a time.
    public init(weights: ModelWeights, batchCapacity: Int = 256) {
        BLAS.setThreadCount(1)
        self.batchCapacity = max(1, batchCapacity)
        parameters = weights.parameters
        network = SimpleRNN(capacity: self.batchCapacity)
        inputs = [Sample](repeating: Sample(unchecked: 0, 0, 0, target: 0), count: self.batchCapacity)
    }

    /// The five-symbol completion of `prefix` (three alphabet symbols, upper case folded).
    public func complete(_ prefix: String) throws(WordModelError) -> String {
        let symbols = try Alphabet.indices(of: prefix, as: .prefix)
        let (third, fourth) = complete(symbols[0], symbols[1], symbols[2])
        return Alphabet.text(of: [symbols[0], symbols[1], symbols[2], third, fourth])
    }

    /// The completions of many prefixes, in order, computed a batch at a time; the first bad prefix is an error.
    public func complete(_ prefixes: [String]) throws(WordModelError) -> [String] {
        var symbols = [Int]()
        symbols.reserveCapacity(prefixes.count * Alphabet.prefixLength)
        for prefix in prefixes {
            symbols += try Alphabet.indices(of: prefix, as: .prefix)
        }
        var words = [String]()
        words.reserveCapacity(prefixes.count)
        var first = 0
        while first < prefixes.count {
            let count = min(batchCapacity, prefixes.count - first)
            let base = first * Alphabet.prefixLength
            for index in 0..<count {
                let s = base + index * Alphabet.prefixLength
                inputs[index] = Sample(unchecked: symbols[s], symbols[s + 1], symbols[s + 2], target: 0)
            }
            run(count)
            let thirds = (0..<count).map(network.prediction(sample:))
            for index in 0..<count {
                inputs[index] = Sample(unchecked: Int(inputs[index].x1), Int(inputs[index].x2), thirds[index], target: 0)
            }
            run(count)
            let fourths = (0..<count).map(network.prediction(sample:))
            for index in 0..<count {
                let s = base + index * Alphabet.prefixLength
                words.append(Alphabet.text(of: [symbols[s], symbols[s + 1], symbols[s + 2], thirds[index], fourths[index]]))
            }
            first += count
        }
        return words
    }

    /// The two predicted symbols after the prefix `a b c` (indices in 0..<28).
    func complete(_ a: Int, _ b: Int, _ c: Int) -> (Int, Int) {
        inputs[0] = Sample(unchecked: a, b, c, target: 0)
        run(1)
        let third = network.prediction(sample: 0)
        inputs[0] = Sample(unchecked: b, c, third, target: 0)
        run(1)
        return (third, network.prediction(sample: 0))
    }

    /// Runs the first `count` inputs forward.
    private func run(_ count: Int) {
        parameters.withUnsafeBufferPointer { parameters in
            inputs.withUnsafeBufferPointer { samples in
                network.forward(parameters: parameters.baseAddress!, samples: UnsafeBufferPointer(rebasing: samples[..<count]))
            }
        }
    }
}
