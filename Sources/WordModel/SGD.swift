/// Plain stochastic gradient descent: `w -= lr g`.
public struct SGD: Optimizer {
    /// Step size (Keras default 0.01).
    public var learningRate: Float

    /// An optimizer with the given step size.
    public init(learningRate: Float = 0.01) {
        self.learningRate = learningRate
    }

    /// One gradient step over every parameter.
    public func update(_ parameters: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        precondition(parameters.count == gradient.count, "parameters and gradient differ in size")
        for index in parameters.indices {
            parameters[index] -= learningRate * gradient[index]
        }
    }
}
