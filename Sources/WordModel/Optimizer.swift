/// Updates weights from their gradient, one batch at a time.
public protocol Optimizer: Sendable {
    /// Applies one update to `parameters` with `gradient` (the same count).
    mutating func update(_ parameters: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>)
}

/// The optimizers the command line can name.
public enum OptimizerKind: String, CaseIterable, Sendable {
    /// RMSprop as Keras 3 implements it.
    case rmsprop
    /// Plain stochastic gradient descent.
    case sgd

    /// The learning rate used when none is given: Keras' default for each.
    public var defaultLearningRate: Float {
        switch self {
        case .rmsprop: 0.001
        case .sgd: 0.01
        }
    }

    /// A fresh optimizer of this kind.
    public func make(learningRate: Float? = nil) -> any Optimizer {
        let rate = learningRate ?? defaultLearningRate
        return switch self {
        case .rmsprop: RMSprop(learningRate: rate)
        case .sgd: SGD(learningRate: rate)
        }
    }
}
