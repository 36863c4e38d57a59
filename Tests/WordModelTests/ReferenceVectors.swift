import Foundation
import Testing
import WordModel

/// The float64 reference of one epoch of training (Vectors/first-epoch.json, from shared/testdata/rnn).
struct ReferenceVectors: Decodable {
    struct Meta: Decodable {
        let alphabet: String
        let words: [String]
    }

    struct Tensors: Decodable {
        let kernel: [[Double]]
        let recurrentKernel: [[Double]]
        let bias: [Double]

        /// Kernel, recurrent kernel and bias flattened in `ModelWeights.parameters` order.
        var flat: [Double] { kernel.flatMap { $0 } + recurrentKernel.flatMap { $0 } + bias }

        var weights: ModelWeights {
            get throws { try ModelWeights(parameters: flat.map(Float.init)) }
        }
    }

    struct SampleVector: Decodable {
        let text: String
        let xIndices: [Int]
        let yIndex: Int
        let yChar: String
    }

    struct Inference: Decodable {
        let xIndices: [Int]
        let yIndex: Int
        let output: [Double]
        let argmax: Int
        let loss: Double
    }

    struct Step: Decodable {
        let step: Int
        let sample: Int
        let xIndices: [Int]
        let yIndex: Int
        let hidden: [[Double]]
        let output: [Double]
        let argmax: Int
        let loss: Double
        let grads: Tensors
        let velocityAfter: Tensors
        let weightsAfter: Tensors
    }

    let meta: Meta
    let initialWeights: Tensors
    let samples: [SampleVector]
    let inferenceInitial: [Inference]
    let steps: [Step]

    static func load() throws -> ReferenceVectors {
        let url = try #require(Bundle.module.url(forResource: "first-epoch", withExtension: "json", subdirectory: "Vectors"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ReferenceVectors.self, from: Data(contentsOf: url))
    }
}

/// The largest absolute difference between float32 values and their float64 reference.
func maxDifference<Values: Collection<Float>>(_ values: Values, _ reference: [Double]) -> Double {
    precondition(values.count == reference.count, "compared vectors differ in length")
    return zip(values, reference).map { abs(Double($0) - $1) }.max() ?? 0
}
