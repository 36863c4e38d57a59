/// Loops over one 28-float row (a unit vector of the SimpleRNN), four lanes at a time.
///
/// 28 is seven SIMD4 vectors, so rows need no scalar tail. These stay in the module, inlined, because
/// they run once per sample and step in every pass.
enum Row {
    static let width = SimpleRNN.units
    private static let lanes = 4

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>, _ lane: Int) -> SIMD4<Float> {
        UnsafeRawPointer(pointer + lane).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>, _ lane: Int) {
        UnsafeMutableRawPointer(pointer + lane).storeBytes(of: value, as: SIMD4<Float>.self)
    }

    /// `target = a + b`.
    @inline(__always)
    static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        for lane in stride(from: 0, to: width, by: lanes) {
            store(load(a, lane) + load(b, lane), target, lane)
        }
    }

    /// `target += source`.
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>) {
        for lane in stride(from: 0, to: width, by: lanes) {
            store(load(target, lane) + load(source, lane), target, lane)
        }
    }

    /// `target *= 1 - h^2`, the derivative of tanh at the output `h`.
    @inline(__always)
    static func multiplyByTanhDerivative(_ target: UnsafeMutablePointer<Float>, output h: UnsafePointer<Float>) {
        for lane in stride(from: 0, to: width, by: lanes) {
            let value = load(h, lane)
            store(load(target, lane) * (1 - value * value), target, lane)
        }
    }

    /// The output error of one sample: `target = scale * (h - onehot) * (1 - h^2)`; returns `sum((h - onehot)^2)`.
    @inline(__always)
    static func outputError(
        _ h: UnsafePointer<Float>, hot: Int, scale: Float, into target: UnsafeMutablePointer<Float>
    ) -> Float {
        var squares = SIMD4<Float>()
        let hotLane = hot & ~(lanes - 1)
        for lane in stride(from: 0, to: width, by: lanes) {
            let value = load(h, lane)
            var error = value
            if lane == hotLane { error[hot - lane] -= 1 }
            squares += error * error
            store(scale * error * (1 - value * value), target, lane)
        }
        return squares.sum()
    }

    /// The index of the largest value (the first one on ties, as numpy's argmax).
    @inline(__always)
    static func argmax(_ row: UnsafePointer<Float>) -> Int {
        var best = 0
        for index in 1..<width where row[index] > row[best] { best = index }
        return best
    }
}
