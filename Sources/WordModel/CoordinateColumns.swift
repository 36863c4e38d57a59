/// Coordinate-wise reduction over many updates, for the rules that look at each coordinate's values
/// on their own (median, trimmed mean).
///
/// The values of a block of coordinates are gathered into one reusable buffer, one contiguous column per
/// coordinate, so a rule may reorder a column in place: no allocation per coordinate, and both the
/// reads (a run of each update) and the column work stay in cache.
enum CoordinateColumns {
    /// Coordinates gathered per pass: 64 columns of 1,000 updates take 256 KB.
    static let blockSize = 64

    /// The model whose parameter `c` is `reduce(column)`, where the column holds every update's value of
    /// parameter `c` (in an order `reduce` may change).
    static func reduce(
        _ updates: [ModelWeights], _ reduce: (UnsafeMutableBufferPointer<Float>) -> Double
    ) -> ModelWeights {
        let count = updates.count
        let parameterCount = ModelWeights.parameterCount
        var result = [Float](repeating: 0, count: parameterCount)
        let columns = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockSize * count)
        defer { columns.deallocate() }
        result.withUnsafeMutableBufferPointer { result in
            for start in stride(from: 0, to: parameterCount, by: blockSize) {
                let width = min(blockSize, parameterCount - start)
                for (row, update) in updates.enumerated() {
                    update.parameters.withUnsafeBufferPointer { values in
                        for offset in 0..<width { columns[offset * count + row] = values[start + offset] }
                    }
                }
                for offset in 0..<width {
                    let column = UnsafeMutableBufferPointer(rebasing: columns[(offset * count)..<((offset + 1) * count)])
                    result[start + offset] = Float(reduce(column))
                }
            }
        }
        return ModelWeights(unchecked: result)
    }

    /// The mean of `values` in double precision.
    static func mean(_ values: UnsafeMutableBufferPointer<Float>.SubSequence) -> Double {
        var sum = 0.0
        for value in values { sum += Double(value) }
        return sum / Double(values.count)
    }
}
