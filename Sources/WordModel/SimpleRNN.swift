import BLASKit

/// Forward and backward passes of the word model's SimpleRNN on OpenBLAS, for batches of up to
/// `capacity` samples, in workspaces allocated once.
///
/// `h_t = tanh(x_t K + h_{t-1} R + b)` for t = 1...3 with `h_0 = 0`; the output is `h_3`. The one-hot
/// `x_t K` is a row gather from the kernel. Parameters and gradients are flat vectors laid out as
/// `ModelWeights.parameters`. An instance is not thread-safe: each thread needs its own.
package final class SimpleRNN {
    /// Units in the hidden state (and symbols in the output).
    package static let units = 28
    /// Input symbols per sample.
    package static let steps = 3

    /// The largest batch the workspaces hold.
    package let capacity: Int

    /// The size of the last batch passed to `forward`.
    package private(set) var batchSize = 0

    // The batch's samples, copied so `backward` does not depend on the caller's buffer.
    private let batch: UnsafeMutablePointer<Sample>
    // h_1 | h_2 | h_3 for the current batch size, each batchSize x 28; packed by the batch size
    // (not the capacity) so [h_1; h_2] is one 2B x 28 matrix for the recurrent-kernel gradient.
    private let hidden: UnsafeMutablePointer<Float>
    // dL/dz_1 | dL/dz_2 | dL/dz_3, packed like `hidden`.
    private let delta: UnsafeMutablePointer<Float>

    private static let units2 = units * units
    private static let recurrentOffset = Tensor.recurrentKernel.range.lowerBound
    private static let biasOffset = Tensor.bias.range.lowerBound

    /// Workspaces for batches of up to `capacity` samples (at least 1).
    package init(capacity: Int) {
        precondition(capacity >= 1, "SimpleRNN capacity must be at least 1")
        self.capacity = capacity
        batch = .allocate(capacity: capacity)
        hidden = .allocate(capacity: Self.steps * capacity * Self.units)
        delta = .allocate(capacity: Self.steps * capacity * Self.units)
        hidden.initialize(repeating: 0, count: Self.steps * capacity * Self.units)
        delta.initialize(repeating: 0, count: Self.steps * capacity * Self.units)
    }

    deinit {
        batch.deallocate()
        hidden.deallocate()
        delta.deallocate()
    }

    /// Runs the forward pass of `samples` (1...capacity of them) and keeps every hidden state for `backward`.
    package func forward(parameters: UnsafePointer<Float>, samples: UnsafeBufferPointer<Sample>) {
        let count = samples.count
        precondition(count >= 1 && count <= capacity, "batch of \(count) samples does not fit a SimpleRNN of capacity \(capacity)")
        batchSize = count
        batch.update(from: samples.baseAddress!, count: count)
        let kernel = parameters
        let recurrent = parameters + Self.recurrentOffset
        let bias = parameters + Self.biasOffset
        for step in 0..<Self.steps {
            let z = hiddenState(step)
            for index in 0..<count {
                Row.sum(kernel + Self.units * Int(batch[index].input(step)), bias, into: z + index * Self.units)
            }
            if step > 0 {
                Self.multiply(hiddenState(step - 1), by: recurrent, .none, rows: count, adding: true, into: z)
            }
            FastTanh.apply(z, count: count * Self.units)
        }
    }

    /// Backpropagation through time for the last `forward`: writes the gradient of the mean squared
    /// error (over batch x 28) into `gradient` (a whole parameter vector) and returns that loss.
    package func backward(parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) -> Float {
        let count = batchSize
        precondition(count >= 1, "backward needs a forward pass first")
        let recurrent = parameters + Self.recurrentOffset
        let rows = count * Self.units
        let scale = 2 / Float(rows)

        // Output error, and the loss, sample by sample.
        let output = UnsafePointer(hiddenState(2))
        let outputDelta = delta + 2 * rows
        var squares = 0.0
        for index in 0..<count {
            let offset = index * Self.units
            squares += Double(
                Row.outputError(output + offset, hot: Int(batch[index].y), scale: scale, into: outputDelta + offset))
        }

        // Back through the recurrence: dz_{t-1} = (dz_t Rᵀ) * (1 - h_{t-1}^2).
        for step in stride(from: 2, to: 0, by: -1) {
            let later = delta + step * rows
            let earlier = delta + (step - 1) * rows
            Self.multiply(later, by: recurrent, .transposed, rows: count, adding: false, into: earlier)
            let h = UnsafePointer(hiddenState(step - 1))
            for index in 0..<count {
                Row.multiplyByTanhDerivative(earlier + index * Self.units, output: h + index * Self.units)
            }
        }

        // dR = [h_1; h_2]ᵀ [dz_2; dz_3]: one product over both steps (h_0 = 0 adds nothing).
        BLAS.sgemm(
            .transposed, .none, m: Self.units, n: Self.units, k: 2 * count, alpha: 1, a: hidden, lda: Self.units,
            b: delta + rows, ldb: Self.units, beta: 0, c: gradient + Self.recurrentOffset, ldc: Self.units)

        // dK scatters each dz_t row onto the kernel row of its input symbol; db sums every dz_t row.
        let bias = gradient + Self.biasOffset
        gradient.update(repeating: 0, count: Self.units2)
        bias.update(repeating: 0, count: Self.units)
        for step in 0..<Self.steps {
            let stepDelta = UnsafePointer(delta + step * rows)
            for index in 0..<count {
                let row = stepDelta + index * Self.units
                Row.add(row, to: gradient + Self.units * Int(batch[index].input(step)))
                Row.add(row, to: bias)
            }
        }
        return Float(squares / Double(rows))
    }

    /// Mean squared error of the last `forward` against its samples' targets, without a gradient.
    package func loss() -> Float {
        let count = batchSize
        precondition(count >= 1, "loss needs a forward pass first")
        let output = UnsafePointer(hiddenState(2))
        var squares = 0.0
        for index in 0..<count {
            let row = output + index * Self.units
            let hot = Int(batch[index].y)
            for unit in 0..<Self.units {
                let error = Double(row[unit]) - (unit == hot ? 1 : 0)
                squares += error * error
            }
        }
        return Float(squares / Double(count * Self.units))
    }

    /// The hidden state h_`step` (1...3) of sample `index` of the last forward pass.
    package func hidden(step: Int, sample index: Int) -> [Float] {
        precondition((1...Self.steps).contains(step) && (0..<batchSize).contains(index), "no such hidden state")
        return Array(UnsafeBufferPointer(start: hiddenState(step - 1) + index * Self.units, count: Self.units))
    }

    /// The output (h_3) of sample `index` of the last forward pass.
    package func output(sample index: Int) -> [Float] {
        hidden(step: Self.steps, sample: index)
    }

    /// The most likely next symbol for sample `index` of the last forward pass.
    package func prediction(sample index: Int) -> Int {
        precondition((0..<batchSize).contains(index), "no such sample")
        return Row.argmax(hiddenState(2) + index * Self.units)
    }

    /// `target (+)= source op(R)` for `rows` rows of 28: op(R) is R going forward, Rᵀ going back.
    private static func multiply(
        _ source: UnsafePointer<Float>, by recurrent: UnsafePointer<Float>, _ transpose: Transpose, rows: Int,
        adding: Bool, into target: UnsafeMutablePointer<Float>
    ) {
        let beta: Float = adding ? 1 : 0
        if rows == 1 {
            // One row times R is Rᵀ times a column (and times Rᵀ is R times it); sgemv is about three
            // times faster than sgemm at this size.
            BLAS.sgemv(
                transpose == .none ? .transposed : .none, m: units, n: units, alpha: 1, a: recurrent, lda: units,
                x: source, beta: beta, y: target)
        } else {
            BLAS.sgemm(
                .none, transpose, m: rows, n: units, k: units, alpha: 1, a: source, lda: units, b: recurrent,
                ldb: units, beta: beta, c: target, ldc: units)
        }
    }

    private func hiddenState(_ step: Int) -> UnsafeMutablePointer<Float> {
        hidden + step * batchSize * Self.units
    }
}

extension Sample {
    /// The input symbol at `step` (0...2).
    @inline(__always)
    func input(_ step: Int) -> UInt8 {
        switch step {
        case 0: x0
        case 1: x1
        default: x2
        }
    }
}

extension SimpleRNN {
    /// Runs the forward pass of `samples` with `weights` (a convenience over the pointer API).
    package func forward(weights: ModelWeights, samples: [Sample]) {
        weights.parameters.withUnsafeBufferPointer { parameters in
            samples.withUnsafeBufferPointer { forward(parameters: parameters.baseAddress!, samples: $0) }
        }
    }

    /// Runs forward and backward passes of `samples` with `weights`; returns the loss and the gradient.
    package func lossAndGradient(weights: ModelWeights, samples: [Sample]) -> (loss: Float, gradient: ModelWeights) {
        forward(weights: weights, samples: samples)
        var gradient = [Float](repeating: 0, count: ModelWeights.parameterCount)
        let loss = weights.parameters.withUnsafeBufferPointer { parameters in
            gradient.withUnsafeMutableBufferPointer { backward(parameters: parameters.baseAddress!, gradient: $0.baseAddress!) }
        }
        return (loss, ModelWeights(unchecked: gradient))
    }
}
