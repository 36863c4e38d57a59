/// The updates of one round after the checks that every aggregation rule shares: at least one update,
/// one weight per update, every weight finite and >= 0, every value of every update and of the global
/// model finite.
///
/// Only `AggregationRule.aggregate` makes one from outside the library, so a rule's `combine` never sees
/// unchecked input. Because every value is finite, each rule's result is too: every rule returns, per
/// coordinate, a value between the smallest and the largest input value.
public struct AggregationInput: Sendable {
    /// The devices' models.
    public let updates: [ModelWeights]
    /// How much each update counts (its sample count), for the rules that weigh.
    public let weights: [Double]
    /// The model the round started from.
    public let global: ModelWeights

    /// Checks the input; errors start with `rule` and name the update, weight or parameter at fault.
    init(updates: [ModelWeights], weights: [Double], global: ModelWeights, rule: String) throws(WordModelError) {
        guard !updates.isEmpty else { throw .aggregation("\(rule): no updates to aggregate") }
        guard weights.count == updates.count else {
            throw .aggregation("\(rule): got \(updates.count) updates but \(weights.count) weights")
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw .aggregation("\(rule): the weight of update \(bad) is \(weights[bad]), expected a finite number >= 0")
        }
        for (index, update) in updates.enumerated() {
            if let parameter = update.parameters.firstIndex(where: { !$0.isFinite }) {
                throw .aggregation(
                    "\(rule): update \(index) has \(update.parameters[parameter]) at parameter \(parameter), expected finite values")
            }
        }
        if let parameter = global.parameters.firstIndex(where: { !$0.isFinite }) {
            throw .aggregation(
                "\(rule): the global model has \(global.parameters[parameter]) at parameter \(parameter), expected finite values")
        }
        self.init(unchecked: updates, weights: weights, global: global)
    }

    /// Input that is already known to pass the checks (e.g. clipped updates of checked input).
    init(unchecked updates: [ModelWeights], weights: [Double], global: ModelWeights) {
        self.updates = updates
        self.weights = weights
        self.global = global
    }
}
