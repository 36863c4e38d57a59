import Foundation
import Testing
import WordModel

/// Backpropagation against central finite differences of an independent float64 forward pass.
@Suite struct GradientCheckTests {
    /// Random weights everywhere (the bias too), larger than Keras' so some units run into saturation.
    static func randomWeights(seed: UInt64) throws -> ModelWeights {
        var random = SeededGenerator(seed: seed)
        return try ModelWeights(parameters: (0..<ModelWeights.parameterCount).map { _ in Float(random.nextUniform(-0.6, 0.6)) })
    }

    /// The loss in float64, written from the definition: h_t = tanh(x_t K + h_{t-1} R + b), MSE of h_3.
    static func referenceLoss(_ p: [Double], _ samples: [Sample]) -> Double {
        let n = SimpleRNN.units
        let recurrent = Tensor.recurrentKernel.range.lowerBound
        let bias = Tensor.bias.range.lowerBound
        var total = 0.0
        for sample in samples {
            var h = [Double](repeating: 0, count: n)
            for x in sample.inputs {
                h = (0..<n).map { j in
                    tanh(p[x * n + j] + p[bias + j] + (0..<n).reduce(0) { $0 + h[$1] * p[recurrent + $1 * n + j] })
                }
            }
            total += (0..<n).reduce(0) { $0 + pow(h[$1] - ($1 == sample.target ? 1 : 0), 2) }
        }
        return total / Double(samples.count * n)
    }

    static let batches: [[String]] = [
        ["abo:u"],
        ["abo:u", "bou:t", "aaa:a", "a-z:-", "zz :b"],
    ]

    @Test(arguments: batches)
    func gradientMatchesFiniteDifferences(_ batch: [String]) throws {
        let samples = try batch.map { try Sample(prefix: String($0.prefix(3)), next: $0.last!) }
        let weights = try Self.randomWeights(seed: 7)
        let (loss, gradient) = SimpleRNN(capacity: 8).lossAndGradient(weights: weights, samples: samples)
        let point = weights.parameters.map(Double.init)
        #expect(abs(Double(loss) - Self.referenceLoss(point, samples)) <= 1e-6)

        let step = 1e-6
        var worst = 0.0
        for index in point.indices {
            var plus = point
            var minus = point
            plus[index] += step
            minus[index] -= step
            let numeric = (Self.referenceLoss(plus, samples) - Self.referenceLoss(minus, samples)) / (2 * step)
            let analytic = Double(gradient.parameters[index])
            worst = max(worst, abs(analytic - numeric))
            #expect(abs(analytic - numeric) <= 1e-6 + 1e-4 * abs(numeric), "parameter \(index)")
        }
        // A gradient of zeros would pass trivially; this one is far from it.
        #expect(gradient.parameters.map(abs).max()! > 1e-3)
        #expect(worst < 1e-6)
    }
}
