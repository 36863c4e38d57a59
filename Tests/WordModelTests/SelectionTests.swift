import Testing
@testable import WordModel

@Suite struct SelectionTests {
    /// Selects `rank` in a copy of `values` and checks the result against sorting.
    func check(_ values: [Float], rank: Int, depthLimit: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        var copy = values
        copy.withUnsafeMutableBufferPointer { Selection.select($0, rank: rank, depthLimit: depthLimit) }
        let sorted = values.sorted()
        #expect(copy[rank] == sorted[rank], "rank \(rank) of \(values.count)", sourceLocation: sourceLocation)
        #expect(copy[..<rank].allSatisfy { $0 <= copy[rank] }, sourceLocation: sourceLocation)
        #expect(copy[(rank + 1)...].allSatisfy { $0 >= copy[rank] }, sourceLocation: sourceLocation)
        #expect(copy.sorted() == sorted, "a permutation of the input", sourceLocation: sourceLocation)
    }

    @Test func everyRankOfRandomValuesWithAndWithoutTies() {
        var random = SeededGenerator(seed: 11)
        for count in [1, 2, 3, 4, 5, 9, 16, 33, 100] {
            for levels in [1, 2, 4, 1000] {
                let values = (0..<count).map { _ in Float(random.nextIndex(below: levels)) - Float(levels / 2) }
                for rank in 0..<count {
                    check(values, rank: rank)
                    // With no partitioning budget it sorts instead.
                    check(values, rank: rank, depthLimit: 0)
                    check(values, rank: rank, depthLimit: 1)
                }
            }
        }
    }

    @Test func orderedAndPatternedInputs() {
        let count = 257
        let patterns: [[Float]] = [
            (0..<count).map(Float.init),
            (0..<count).reversed().map(Float.init),
            (0..<count).map { Float(min($0, count - $0)) },
            (0..<count).map { Float($0 % 2) },
            [Float](repeating: -0.0, count: count / 2) + [Float](repeating: 0, count: count - count / 2),
        ]
        for values in patterns {
            for rank in [0, 1, count / 4, count / 2, count - 2, count - 1] {
                check(values, rank: rank)
            }
        }
    }
}
