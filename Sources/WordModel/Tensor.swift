/// One weight tensor of the SimpleRNN, with its place in the flat parameter vector and its blob key.
public enum Tensor: CaseIterable, Sendable {
    /// Input weights, [28 symbols][28 units], Keras layout (`x_t @ kernel`).
    case kernel
    /// Recurrent weights, [28 units][28 units] (`h_{t-1} @ recurrent_kernel`).
    case recurrentKernel
    /// Bias, [28 units].
    case bias

    /// The tensor's key in a model blob.
    public var key: String {
        switch self {
        case .kernel: "kernel"
        case .recurrentKernel: "recurrent_kernel"
        case .bias: "bias"
        }
    }

    /// Rows and columns; the bias is a single row.
    public var shape: (rows: Int, columns: Int) {
        switch self {
        case .kernel: (Alphabet.count, SimpleRNN.units)
        case .recurrentKernel: (SimpleRNN.units, SimpleRNN.units)
        case .bias: (1, SimpleRNN.units)
        }
    }

    /// How many float32 values the tensor holds.
    public var count: Int { shape.rows * shape.columns }

    /// Where the tensor sits in `ModelWeights.parameters`.
    public var range: Range<Int> {
        switch self {
        case .kernel: 0..<Tensor.kernel.count
        case .recurrentKernel: Tensor.kernel.count..<(Tensor.kernel.count + Tensor.recurrentKernel.count)
        case .bias: Tensor.recurrentKernel.range.upperBound..<ModelWeights.parameterCount
        }
    }

    /// The shape as people read it, e.g. `28 x 28 float32`.
    public var shapeDescription: String {
        self == .bias ? "\(shape.columns) float32" : "\(shape.rows) x \(shape.columns) float32"
    }
}
