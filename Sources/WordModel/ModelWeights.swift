import Foundation

/// The weights of the word model: kernel, recurrent kernel and bias, float32, in one flat vector.
///
/// `parameters` holds the kernel (row-major [28][28]), then the recurrent kernel ([28][28]), then the
/// bias ([28]): the order of `Tensor.allCases`. One flat vector lets optimizers and aggregation rules
/// treat every weight alike.
public struct ModelWeights: Sendable, Equatable {
    /// How many float32 values the model has (784 + 784 + 28).
    public static let parameterCount = 2 * Alphabet.count * SimpleRNN.units + SimpleRNN.units

    /// Every weight, in the order kernel, recurrent kernel, bias.
    public internal(set) var parameters: [Float]

    /// Weights from a flat vector in the order kernel, recurrent kernel, bias.
    public init(parameters: [Float]) throws(WordModelError) {
        guard parameters.count == Self.parameterCount else {
            throw .invalidSetting(
                name: "parameter count", value: "\(parameters.count)", expected: "\(Self.parameterCount)")
        }
        self.parameters = parameters
    }

    /// Weights from the three tensors, each row-major in Keras layout.
    public init(kernel: [Float], recurrentKernel: [Float], bias: [Float]) throws(WordModelError) {
        for (tensor, values) in zip(Tensor.allCases, [kernel, recurrentKernel, bias]) where values.count != tensor.count {
            throw .invalidSetting(
                name: "tensor \"\(tensor.key)\" size", value: "\(values.count)",
                expected: "\(tensor.count) (\(tensor.shapeDescription))")
        }
        parameters = kernel + recurrentKernel + bias
    }

    init(unchecked parameters: [Float]) {
        self.parameters = parameters
    }

    /// All weights zero.
    public static let zero = ModelWeights(unchecked: [Float](repeating: 0, count: parameterCount))

    /// A fresh model initialised as Keras does: Glorot-uniform kernel, orthogonal recurrent kernel, zero bias.
    /// The same seed gives the same weights everywhere (it does not reproduce numpy's streams).
    public init(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let kernel = Tensor.kernel.shape
        let limit = (6 / Double(kernel.rows + kernel.columns)).squareRoot()
        var parameters = (0..<Tensor.kernel.count).map { _ in Float(random.nextUniform(-limit, limit)) }
        parameters += Self.orthogonal(size: SimpleRNN.units, random: &random).map(Float.init)
        parameters += [Float](repeating: 0, count: Tensor.bias.count)
        self.init(unchecked: parameters)
    }

    /// The values of one tensor, row-major.
    public subscript(tensor: Tensor) -> ArraySlice<Float> {
        parameters[tensor.range]
    }

    /// The L2 norm of each tensor, in `Tensor.allCases` order, for `inspect`.
    public var norms: [(tensor: Tensor, norm: Double)] {
        Tensor.allCases.map { tensor in
            (tensor, self[tensor].reduce(0) { $0 + Double($1) * Double($1) }.squareRoot())
        }
    }

    /// The L2 (Euclidean) distance between the two weight vectors, summed in double precision.
    public func distance(to other: ModelWeights) -> Double {
        var sum = 0.0
        for (a, b) in zip(parameters, other.parameters) {
            let difference = Double(a) - Double(b)
            sum += difference * difference
        }
        return sum.squareRoot()
    }

    /// Whether every weight is a finite number.
    public var isFinite: Bool { parameters.allSatisfy(\.isFinite) }

    /// A random orthogonal matrix, row-major: Q of the QR decomposition of a standard normal matrix,
    /// with the signs fixed so R has a positive diagonal (what Keras' Orthogonal initializer returns).
    /// Gram-Schmidt on the columns yields exactly that Q; it runs twice per column so Q stays
    /// orthogonal to double precision.
    static func orthogonal(size n: Int, random: inout SeededGenerator) -> [Double] {
        let normal = (0..<(n * n)).map { _ in random.nextNormal() }
        // Column j of the normal matrix, as a contiguous vector.
        var columns = (0..<n).map { j in (0..<n).map { i in normal[i * n + j] } }
        for j in 0..<n {
            for _ in 0..<2 {
                for k in 0..<j {
                    let projection = zip(columns[k], columns[j]).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in 0..<n { columns[j][i] -= projection * columns[k][i] }
                }
            }
            let length = columns[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<n { columns[j][i] /= length }
        }
        return (0..<(n * n)).map { columns[$0 % n][$0 / n] }
    }
}
