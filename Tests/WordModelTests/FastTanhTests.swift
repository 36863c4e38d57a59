import Foundation
import Testing
import WordModel

@Suite struct FastTanhTests {
    @Test func denseRangeStaysWithinOneMillionth() {
        // Every 1/4096 from -20 to 20, plus the extremes, through the vector path.
        var inputs = stride(from: -20.0, through: 20.0, by: 1.0 / 4096).map { Float($0) }
        inputs += [0, -0, 1e-6, -1e-6, 3.9e-4, 4.1e-4, 7.9, -7.9, 8, 1e30, -1e30, .greatestFiniteMagnitude]
        var values = inputs
        values.withUnsafeMutableBufferPointer { FastTanh.apply($0) }
        let errors = zip(inputs, values).map { abs(Double($1) - tanh(Double($0))) }
        let worst = errors.indices.max { errors[$0] < errors[$1] }!
        #expect(errors[worst] <= 1e-6, "tanh(\(inputs[worst])) = \(values[worst])")
    }

    @Test func scalarPathMatchesVectorPath() {
        // Seven values: one vector of four and a scalar tail of three.
        let inputs: [Float] = [-3, -0.5, 0.25, 2, 5, -0.0001, 9]
        var values = inputs
        values.withUnsafeMutableBufferPointer { FastTanh.apply($0) }
        #expect(values == inputs.map(FastTanh.value))
        #expect(FastTanh.value(0) == 0)
        #expect(FastTanh.value(1e-5) == 1e-5)
        #expect(FastTanh.value(100) <= 1 && FastTanh.value(100) > 0.999999)
        #expect(FastTanh.value(-100) == -FastTanh.value(100))
    }
}
