import BLASKit

/// Trains the word model: batches of consecutive samples, forward and backward on OpenBLAS, one
/// optimizer update per batch.
///
/// A trainer owns its workspaces and the weights it updates; it is not thread-safe. It sets OpenBLAS
/// to one thread, on purpose: for 28 x 28 matrices a second thread costs more than it brings.
public final class Trainer {
    /// Samples per batch; the last batch of an epoch may be shorter.
    public let batchSize: Int
    /// The optimizer and its state (e.g. RMSprop's velocity).
    public private(set) var optimizer: any Optimizer

    private var parameters: [Float]
    private var gradientValues: [Float]
    private let network: SimpleRNN

    /// The largest batch: the workspaces grow with it (65,536 samples take about 44 MB), and a batch size
    /// comes from the command line, where a typo must be an error rather than an allocation that aborts.
    public static let maximumBatchSize = 65_536

    /// A trainer that starts from `weights`, with a batch size of 1 to `maximumBatchSize`.
    public init(weights: ModelWeights, optimizer: any Optimizer = RMSprop(), batchSize: Int = 1) throws(WordModelError) {
        guard batchSize >= 1 else {
            throw .invalidSetting(name: "batch size", value: "\(batchSize)", expected: "at least 1")
        }
        guard batchSize <= Self.maximumBatchSize else {
            throw .invalidSetting(name: "batch size", value: "\(batchSize)", expected: "at most \(Self.maximumBatchSize)")
        }
        BLAS.setThreadCount(1)
        self.batchSize = batchSize
        self.optimizer = optimizer
        parameters = weights.parameters
        gradientValues = [Float](repeating: 0, count: ModelWeights.parameterCount)
        network = SimpleRNN(capacity: batchSize)
    }

    /// The weights as trained so far.
    public var weights: ModelWeights { ModelWeights(unchecked: parameters) }

    /// The gradient of the last batch, laid out as the weights.
    public var gradient: ModelWeights { ModelWeights(unchecked: gradientValues) }

    /// The network, holding the hidden states and outputs of the last batch.
    package var lastPass: SimpleRNN { network }

    /// Trains on one batch (1...batchSize samples) and returns its loss before the update.
    public func step(_ batch: UnsafeBufferPointer<Sample>) -> Float {
        parameters.withUnsafeMutableBufferPointer { parameters in
            gradientValues.withUnsafeMutableBufferPointer { gradient in
                network.forward(parameters: parameters.baseAddress!, samples: batch)
                let loss = network.backward(parameters: parameters.baseAddress!, gradient: gradient.baseAddress!)
                optimizer.update(parameters, gradient: UnsafeBufferPointer(gradient))
                return loss
            }
        }
    }

    /// Trains on one batch given as an array.
    public func step(_ batch: [Sample]) -> Float {
        batch.withUnsafeBufferPointer { step($0) }
    }

    /// Trains for `epochs` passes over `set`, in file order, or in a fresh order every epoch drawn from
    /// `shuffleSeed` when one is given. `onEpoch` hears about every epoch as it ends. Throws `.diverged`
    /// after an epoch that left a weight NaN or infinite.
    public func train(
        _ set: TrainingSet, epochs: Int, shuffleSeed: UInt64? = nil, onEpoch: (EpochReport) -> Void = { _ in }
    ) throws(WordModelError) {
        guard epochs >= 0 else { throw .invalidSetting(name: "epochs", value: "\(epochs)", expected: "0 or more") }
        guard !set.samples.isEmpty else { throw .noSamples(source: "the training set") }
        var order = set.samples
        var random = shuffleSeed.map(SeededGenerator.init(seed:))
        let clock = ContinuousClock()
        for epoch in 0..<epochs {
            let start = clock.now
            if random != nil { random!.shuffle(&order) }
            var losses = [Float]()
            losses.reserveCapacity((order.count + batchSize - 1) / batchSize)
            order.withUnsafeBufferPointer { samples in
                var first = 0
                while first < samples.count {
                    let end = min(first + batchSize, samples.count)
                    losses.append(step(UnsafeBufferPointer(rebasing: samples[first..<end])))
                    first = end
                }
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            onEpoch(EpochReport(epoch: epoch, epochs: epochs, batchLosses: losses, samples: order.count, seconds: seconds))
            // A diverged model can be neither used nor written: its blob would not decode.
            guard parameters.allSatisfy(\.isFinite) else { throw .diverged(epoch: epoch) }
        }
    }
}
