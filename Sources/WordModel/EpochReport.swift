import Foundation

/// What one epoch of training did: the loss of every batch and how fast it went.
public struct EpochReport: Sendable {
    /// The epoch, counted from 0 as the original example printed it.
    public let epoch: Int
    /// How many epochs the run has in all.
    public let epochs: Int
    /// The loss of each batch, measured before that batch's update (as Keras' `train_on_batch` reports it).
    public let batchLosses: [Float]
    /// Samples trained on in this epoch.
    public let samples: Int
    /// Seconds the epoch took.
    public let seconds: Double

    /// A report of epoch `epoch` of `epochs`.
    public init(epoch: Int, epochs: Int, batchLosses: [Float], samples: Int, seconds: Double) {
        self.epoch = epoch
        self.epochs = epochs
        self.batchLosses = batchLosses
        self.samples = samples
        self.seconds = seconds
    }

    /// Batches with more than this many losses print their mean on the loss line instead of each one.
    public static let lossesPerLine = 10

    /// Training speed in this epoch.
    public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }

    /// The mean loss over the epoch's batches.
    public var meanLoss: Float {
        batchLosses.isEmpty ? 0 : batchLosses.reduce(0, +) / Float(batchLosses.count)
    }

    /// The original example's loss line, every 10th epoch (0, 10, 20, ...), nil for the others.
    ///
    /// With at most `lossesPerLine` batches per epoch it lists each batch's loss with three decimals,
    /// comma-separated, exactly as the original (`epoch: 0, loss: 0.041,0.069` for one word at batch
    /// size 1). With more batches a list would flood the terminal, so it prints their mean instead:
    /// `epoch: 10, loss: 0.021 (mean of 312 batches)`.
    public var lossLine: String? {
        guard epoch % 10 == 0 else { return nil }
        if batchLosses.count <= Self.lossesPerLine {
            return "epoch: \(epoch), loss: " + batchLosses.map(Self.threeDecimals).joined(separator: ",")
        }
        return "epoch: \(epoch), loss: \(Self.threeDecimals(meanLoss)) (mean of \(batchLosses.count) batches)"
    }

    /// `value` with three decimals, as the original's Python printed it.
    static func threeDecimals(_ value: Float) -> String {
        String(format: "%.3f", Double(value))
    }
}
