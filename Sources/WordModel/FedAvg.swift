/// Federated averaging (McMahan et al.): the average of the updates weighted by their sample counts.
///
/// One update can move the result arbitrarily far (a device that scales its model by 100, or claims a
/// huge sample count); `CoordinateMedian`, `TrimmedMean` and `NormClipping` bound that.
public struct FedAvg: AggregationRule {
    /// The rule; it has no settings.
    public init() {}

    /// "FedAvg".
    public var description: String { "FedAvg" }

    /// The weighted average; the weights must not all be zero.
    public func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights {
        let total = input.weights.reduce(0, +)
        guard total > 0 else {
            throw .aggregation("\(self): the updates carry 0 samples in total, so there is nothing to weigh them by")
        }
        guard total.isFinite else { throw .aggregation("\(self): the weights add up to \(total), expected a finite sum") }
        // Double sums keep the average exact to float32 for any realistic number of updates.
        var sum = [Double](repeating: 0, count: ModelWeights.parameterCount)
        sum.withUnsafeMutableBufferPointer { sum in
            for (update, weight) in zip(input.updates, input.weights) where weight > 0 {
                let share = weight / total
                update.parameters.withUnsafeBufferPointer { values in
                    for index in values.indices { sum[index] += share * Double(values[index]) }
                }
            }
        }
        return ModelWeights(unchecked: sum.map(Float.init))
    }
}
