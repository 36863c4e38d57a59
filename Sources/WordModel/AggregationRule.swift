/// A way to combine the updates of one federated round into the next global model.
///
/// Callers use `aggregate`, which runs the checks every rule shares (`AggregationInput`) before the rule
/// sees the updates; a rule implements only `combine`. `description` names the rule and its settings,
/// for logs and error messages.
public protocol AggregationRule: Sendable, CustomStringConvertible {
    /// The next global model from updates that passed the shared checks.
    func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights
}

extension AggregationRule {
    /// The aggregate of `updates`, where `weights[i]` (the sample count) is how much `updates[i]` counts
    /// for rules that weigh, and `global` is the model the round started from.
    public func aggregate(
        _ updates: [ModelWeights], weights: [Double], global: ModelWeights
    ) throws(WordModelError) -> ModelWeights {
        try combine(AggregationInput(updates: updates, weights: weights, global: global, rule: description))
    }

    /// The aggregate of `models`, each weighted by its sample count, given the round's global model.
    public func aggregate(_ models: [Model], global: ModelWeights) throws(WordModelError) -> ModelWeights {
        try aggregate(models.map(\.weights), weights: models.map { Double($0.samples) }, global: global)
    }
}
