/// Coordinate-wise median (Yin et al., 2018): each parameter is the median of the updates' values of
/// that parameter; for an even count, the mean of the two middle values.
///
/// Unweighted on purpose: every update counts once whatever its sample count, because a weighted median
/// would let one device move the result by claiming a huge sample count. The weights are still checked.
public struct CoordinateMedian: AggregationRule {
    /// The rule; it has no settings.
    public init() {}

    /// "coordinate median".
    public var description: String { "coordinate median" }

    /// The coordinate-wise median of the updates.
    public func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights {
        CoordinateColumns.reduce(input.updates) { column in
            let middle = column.count / 2
            Selection.select(column, rank: middle)
            guard column.count % 2 == 0 else { return Double(column[middle]) }
            // Selection left every value below `middle` <= column[middle]; the largest of them is the
            // lower middle value.
            var lower = column[0]
            for value in column[1..<middle] where value > lower { lower = value }
            return (Double(lower) + Double(column[middle])) / 2
        }
    }
}
