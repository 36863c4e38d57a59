/// Selection of the value of a given rank in place, without allocating: what the coordinate-wise rules
/// need instead of sorting every coordinate's values.
enum Selection {
    /// Reorders `values` so that `values[rank]` holds the value of that rank (0-based, ascending), every
    /// value before it is <= it and every value after it is >= it. The values must not be NaN.
    ///
    /// Introselect: quickselect with a median-of-three pivot and a three-way partition (updates often tie,
    /// e.g. where no device changed a weight, and a two-way partition goes quadratic on ties). After
    /// `depthLimit` partitions (2 log2 n by default) it sorts what is left, so inputs crafted against
    /// the pivot choice cost O(n log n), not O(n^2).
    static func select(_ values: UnsafeMutableBufferPointer<Float>, rank: Int, depthLimit: Int? = nil) {
        precondition(values.indices.contains(rank), "rank \(rank) outside 0..<\(values.count)")
        var low = 0
        var high = values.count
        var budget = depthLimit ?? 2 * (Int.bitWidth - values.count.leadingZeroBitCount)
        // Invariant: values[..<low] <= values[low..<high] <= values[high...], and low <= rank < high.
        while high - low > 1 {
            guard budget > 0 else {
                var rest = UnsafeMutableBufferPointer(rebasing: values[low..<high])
                rest.sort()
                return
            }
            budget -= 1
            let pivot = medianOfThree(values[low], values[low + (high - low) / 2], values[high - 1])
            // Dutch national flag: [low, less) < pivot, [less, index) == pivot, [greater, high) > pivot.
            var less = low
            var index = low
            var greater = high
            while index < greater {
                let value = values[index]
                if value < pivot {
                    values.swapAt(less, index)
                    less += 1
                    index += 1
                } else if value > pivot {
                    greater -= 1
                    values.swapAt(index, greater)
                } else {
                    index += 1
                }
            }
            if rank < less {
                high = less
            } else if rank >= greater {
                low = greater
            } else {
                return
            }
        }
    }

    private static func medianOfThree(_ a: Float, _ b: Float, _ c: Float) -> Float {
        max(min(a, b), min(max(a, b), c))
    }
}
