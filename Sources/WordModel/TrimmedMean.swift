/// Coordinate-wise trimmed mean (Yin et al., 2018): for each parameter, the floor(β·n) smallest and the
/// floor(β·n) largest of the n updates' values are dropped and the rest averaged.
///
/// Unweighted on purpose, like `CoordinateMedian`: a weighted trimmed mean would let one device claim a
/// huge sample count. The weights are still checked. β = 0 is the plain (unweighted) mean.
public struct TrimmedMean: AggregationRule {
    /// β: the fraction of the updates dropped at each end, in [0, 0.5).
    public let trimFraction: Double

    /// The rule for a trim fraction β in [0, 0.5).
    public init(trimFraction: Double) throws(WordModelError) {
        guard trimFraction >= 0, trimFraction < 0.5 else {
            throw .invalidSetting(name: "trim fraction β", value: "\(trimFraction)", expected: "0 <= β < 0.5")
        }
        self.trimFraction = trimFraction
    }

    /// "trimmed mean (β = ...)".
    public var description: String { "trimmed mean (β = \(trimFraction))" }

    /// How many values are dropped at each end of `count`: floor(β·n), where a β·n within 1e-9 of a whole
    /// number counts as that number, so β = 0.35 of 180 drops 63 as the decimals say (0.35 is a hair
    /// below 0.35 in binary, and the float product a hair below 63).
    public func trimmedCount(of count: Int) -> Int {
        let scaled = trimFraction * Double(count)
        let nearest = scaled.rounded()
        return Int(abs(scaled - nearest) < 1e-9 ? nearest : scaled.rounded(.down))
    }

    /// The coordinate-wise trimmed mean of the updates.
    public func combine(_ input: AggregationInput) throws(WordModelError) -> ModelWeights {
        let count = input.updates.count
        let trimmed = trimmedCount(of: count)
        guard 2 * trimmed < count else {
            throw .aggregation(
                "\(self): dropping \(trimmed) of \(count) updates at each end leaves none to average")
        }
        return CoordinateColumns.reduce(input.updates) { column in
            if trimmed > 0 {
                // The `trimmed` smallest go to the front, then the `trimmed` largest of the rest to the back.
                Selection.select(column, rank: trimmed)
                Selection.select(UnsafeMutableBufferPointer(rebasing: column[trimmed...]), rank: count - 2 * trimmed - 1)
            }
            return CoordinateColumns.mean(column[trimmed..<(count - trimmed)])
        }
    }
}
