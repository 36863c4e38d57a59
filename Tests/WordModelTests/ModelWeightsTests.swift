import Testing
import WordModel

@Suite struct ModelWeightsTests {
    @Test func seededInitialisationIsDeterministic() {
        #expect(ModelWeights(seed: 42) == ModelWeights(seed: 42))
        #expect(ModelWeights(seed: 42) != ModelWeights(seed: 43))
        #expect(Model(seed: 5).weights == ModelWeights(seed: 5))
    }

    @Test func kerasInitialisation() {
        let weights = ModelWeights(seed: 1)
        // Glorot uniform: U(-limit, limit) with limit = sqrt(6 / (28 + 28)).
        let limit = Float((6.0 / 56).squareRoot())
        let kernel = weights[.kernel]
        #expect(kernel.allSatisfy { abs($0) < limit })
        #expect(kernel.map(abs).max()! > 0.9 * limit)
        #expect(Set(kernel).count == kernel.count)
        // Orthogonal: RᵀR = I.
        let r = Array(weights[.recurrentKernel])
        let n = 28
        var worst: Float = 0
        for i in 0..<n {
            for j in 0..<n {
                let dot = (0..<n).reduce(Float(0)) { $0 + r[$1 * n + i] * r[$1 * n + j] }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        #expect(worst < 1e-5)
        #expect(weights[.bias].allSatisfy { $0 == 0 })
    }

    @Test func layoutAndSizes() throws {
        #expect(ModelWeights.parameterCount == 1596)
        #expect(Tensor.allCases.map(\.range) == [0..<784, 784..<1568, 1568..<1596])
        #expect(Tensor.allCases.map(\.key) == ["kernel", "recurrent_kernel", "bias"])
        let weights = try ModelWeights(
            kernel: [Float](repeating: 1, count: 784), recurrentKernel: [Float](repeating: 2, count: 784),
            bias: [Float](repeating: 3, count: 28))
        #expect(weights[.recurrentKernel].allSatisfy { $0 == 2 })
        #expect(throws: WordModelError.invalidSetting(name: "tensor \"kernel\" size", value: "783", expected: "784 (28 x 28 float32)")) {
            try ModelWeights(kernel: [Float](repeating: 1, count: 783), recurrentKernel: [Float](repeating: 2, count: 784), bias: [Float](repeating: 3, count: 28))
        }
        #expect(throws: WordModelError.invalidSetting(name: "parameter count", value: "3", expected: "1596")) {
            try ModelWeights(parameters: [1, 2, 3])
        }
    }

    @Test func normsPerTensor() throws {
        // kernel: 784 ones -> 28; recurrent: 784 twos -> 56; bias: 28 values of 3 -> 3 sqrt(28).
        let weights = try ModelWeights(
            kernel: [Float](repeating: 1, count: 784), recurrentKernel: [Float](repeating: 2, count: 784),
            bias: [Float](repeating: 3, count: 28))
        let norms = weights.norms
        #expect(norms.map(\.tensor) == Tensor.allCases)
        #expect(norms.map(\.norm) == [28, 56, 3 * 28.0.squareRoot()])
    }
}
