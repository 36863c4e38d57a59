/// Norm clipping (Sun et al., 2019) in front of another rule: each update's L2 distance from the global
/// model is clipped to `bound`, that is update' = global + (update - global) · min(1, bound / ‖update - global‖),
/// then `base` aggregates the clipped updates with their weights.
///
/// It bounds how far one update can pull the result: with FedAvg, by the update's share of the samples
/// times `bound`. It does not bound a device that claims a huge sample count; a robust base does.
public struct NormClipping: AggregationRule {
    /// The largest L2 distance from the global model an update keeps.
    public let bound: Double
    /// The rule that aggregates the clipped updates.
    public let base: any AggregationRule

    /// Clipping to `bound` (finite, > 0), then `base`.
    public init(bound: Double, base: any AggregationRule = FedAvg()) throws(WordModelError) {
        guard bound.isFinite, bound > 0 else {
            throw .invalidSetting(name: "clip norm", value: "\(bound)", expected: "a finite number > 0")
        }
        self.bound = bound
        self.base = base
    }

    /// "<base> after norm clipping to <bound>".
    public var description: String { "\(base) after norm clipping to \(bound)" }

    /// The base rule's aggregate of the clipped updates.
    public func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights {
        let clipped = input.updates.map { clip($0, around: input.global) }
        return try base.combine(AggregationInput(unchecked: clipped, weights: input.weights, global: input.global))
    }

    /// `update`, moved toward `global` along the line between them until it is at most `bound` away.
    /// Double arithmetic: the difference of two finite floats can overflow float32, and the result lies
    /// between the two, so it stays finite.
    func clip(_ update: ModelWeights, around global: ModelWeights) -> ModelWeights {
        let distance = update.distance(to: global)
        guard distance > bound else { return update }
        let scale = bound / distance
        let clipped = zip(update.parameters, global.parameters).map { value, center in
            Float(Double(center) + (Double(value) - Double(center)) * scale)
        }
        return ModelWeights(unchecked: clipped)
    }
}
