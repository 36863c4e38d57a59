/// A way to combine several models' weights into one, each model carrying a weight (its sample count).
public protocol AggregationRule: Sendable {
    /// The aggregate of `models`, where `weights[i]` is how much `models[i]` counts.
    func aggregate(_ models: [ModelWeights], weights: [Double]) throws(WordModelError) -> ModelWeights
}

extension AggregationRule {
    /// The aggregate of `models`, each weighted by its sample count.
    public func aggregate(_ models: [Model]) throws(WordModelError) -> ModelWeights {
        try aggregate(models.map(\.weights), weights: models.map { Double($0.samples) })
    }
}

/// Federated averaging (McMahan et al.): the average of the models weighted by their sample counts.
public struct FedAvg: AggregationRule {
    /// The rule; it has no settings.
    public init() {}

    /// The weighted average of `models`; weights must be finite, non-negative and not all zero.
    public func aggregate(_ models: [ModelWeights], weights: [Double]) throws(WordModelError) -> ModelWeights {
        guard !models.isEmpty else { throw .aggregation("FedAvg needs at least one model, got none") }
        guard weights.count == models.count else {
            throw .aggregation("FedAvg got \(models.count) models but \(weights.count) weights")
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw .aggregation("FedAvg weight of model \(bad) is \(weights[bad]), expected a finite number >= 0")
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw .aggregation("FedAvg models carry 0 samples in total, so there is nothing to weigh them by") }
        // Double sums keep the average exact to float32 for any realistic number of models.
        var sum = [Double](repeating: 0, count: ModelWeights.parameterCount)
        for (model, weight) in zip(models, weights) where weight > 0 {
            let share = weight / total
            for (index, value) in model.parameters.enumerated() {
                sum[index] += share * Double(value)
            }
        }
        return ModelWeights(unchecked: sum.map(Float.init))
    }
}
