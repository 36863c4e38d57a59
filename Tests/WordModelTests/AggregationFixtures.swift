import WordModel

/// Weights and reference answers for the aggregation tests.
enum AggregationFixtures {
    /// Weights whose parameter i is `value(i)`.
    static func weights(_ value: (Int) -> Float) throws -> ModelWeights {
        try ModelWeights(parameters: (0..<ModelWeights.parameterCount).map(value))
    }

    /// Weights that are `value` everywhere.
    static func constant(_ value: Float) throws -> ModelWeights {
        try weights { _ in value }
    }

    /// Weights whose first parameters are `head` and the others `rest`.
    static func weights(head: [Float], rest: Float = 0) throws -> ModelWeights {
        try weights { $0 < head.count ? head[$0] : rest }
    }

    /// `count` updates of values drawn from `levels` levels (so columns tie often), or from a continuous
    /// range when `levels` is nil.
    static func randomUpdates(count: Int, seed: UInt64, levels: Int? = nil) throws -> [ModelWeights] {
        var random = SeededGenerator(seed: seed)
        return try (0..<count).map { _ in
            try weights { _ in
                guard let levels else { return Float(random.nextUniform(-2, 2)) }
                return Float(random.nextIndex(below: levels)) * 0.25 - 1
            }
        }
    }

    /// The model whose parameter i is `reduce(sorted values of parameter i)`: the rules' definitions,
    /// computed by sorting.
    static func bySorting(_ updates: [ModelWeights], _ reduce: ([Float]) -> Double) throws -> ModelWeights {
        try weights { index in Float(reduce(updates.map { $0.parameters[index] }.sorted())) }
    }

    /// The median of sorted values, by its definition.
    static func median(_ sorted: [Float]) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
    }

    /// The mean of sorted values without the `trimmed` smallest and largest, by its definition.
    static func trimmedMean(_ sorted: [Float], trimmed: Int) -> Double {
        let kept = sorted[trimmed..<(sorted.count - trimmed)]
        return kept.reduce(0) { $0 + Double($1) } / Double(kept.count)
    }

    /// The largest difference between two models relative to max(1, |reference|).
    static func relativeDifference(_ a: ModelWeights, _ reference: ModelWeights) -> Double {
        zip(a.parameters, reference.parameters).map { abs(Double($0) - Double($1)) / max(1, abs(Double($1))) }.max() ?? 0
    }
}
