import Dispatch
import Foundation
public import Logging
public import WordModel

/// Measures each new model's accuracy on the provider's validation list, off the hot path: on a queue of
/// its own, after the model was acknowledged or published, so neither waits for it. The result is logged
/// (`validation accuracy 0.83 (10 of 12 prefixes) for model abcd1234`) and set in the model's record of
/// the history, which therefore gets it a moment after the record appears.
///
/// Only counts and shares leave it: never a word of the list.
public final class ModelValidation: Sendable {
    private let history: ModelHistory
    private let logger: Logger
    /// Serial: the accuracies are logged in the order the models were made.
    private let queue = DispatchQueue(label: "model validation")

    /// Sets accuracies in `history` and logs them to `logger`.
    public init(history: ModelHistory, logger: Logger) {
        self.history = history
        self.logger = logger
    }

    /// Measures `blob` on `list` later (nothing without a list), once the caller appended its record.
    public func measure(_ blob: ModelBlob, on list: ValidationSet?) {
        guard let list else { return }
        queue.async { [history, logger] in
            let score = list.score(of: blob.model.weights)
            logger.info(
                "validation accuracy \(String(format: "%.2f", score.accuracy)) (\(score.correct) of \(score.total) prefixes) for model \(blob.shortID)")
            history.setValidationAccuracy(score.accuracy, ofModel: blob.shortID)
        }
    }

    /// Returns once every measurement asked for so far is done: for tests, which wait for the event.
    public func waitUntilDone() {
        queue.sync {}
    }
}
