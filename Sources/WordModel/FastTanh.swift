/// A vectorised float32 tanh, within 4e-7 of the exact value everywhere.
///
/// It is the rational approximation Eigen and TensorFlow use: an odd degree-13 polynomial over an
/// even degree-6 one, on inputs clamped to +-7.905 (where tanh is 1 to within 3e-7). Four lanes at a
/// time, it is several times faster than calling `tanhf` per element, and tanh is a third of the
/// forward pass at large batches.
public enum FastTanh {
    private static let clamp: Float = 7.905_311_107_635_498_05
    // Below this the approximation loses relative accuracy and tanh(x) rounds to x anyway.
    private static let tiny: Float = 0.0004
    private static let a1: Float = 4.893_524_558_917_86e-03
    private static let a3: Float = 6.372_619_288_754_36e-04
    private static let a5: Float = 1.485_722_357_179_79e-05
    private static let a7: Float = 5.122_297_090_371_14e-08
    private static let a9: Float = -8.604_671_522_137_35e-11
    private static let a11: Float = 2.000_187_904_824_77e-13
    private static let a13: Float = -2.760_768_477_423_55e-16
    private static let b0: Float = 4.893_525_185_543_85e-03
    private static let b2: Float = 2.268_434_632_439_00e-03
    private static let b4: Float = 1.185_347_056_866_54e-04
    private static let b6: Float = 1.198_258_394_667_02e-06

    /// tanh of one value, by the same formula as the vector path.
    public static func value(_ x: Float) -> Float {
        evaluate(SIMD4(repeating: x))[0]
    }

    /// Replaces every value in `values` with its tanh.
    public static func apply(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress else { return }
        apply(base, count: values.count)
    }

    /// Replaces `count` values at `values` with their tanh.
    @inline(__always)
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values)
        var index = 0
        while index &+ 4 <= count {
            let offset = index &* MemoryLayout<Float>.stride
            let x = raw.loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            raw.storeBytes(of: evaluate(x), toByteOffset: offset, as: SIMD4<Float>.self)
            index &+= 4
        }
        while index < count {
            values[index] = value(values[index])
            index &+= 1
        }
    }

    @inline(__always)
    private static func evaluate(_ input: SIMD4<Float>) -> SIMD4<Float> {
        // Comparisons and selects inline to a few instructions; the stdlib's generic clamped/pointwiseMin
        // stay out-of-line calls and cost a third of the forward pass.
        var x = input
        x.replace(with: clamp, where: x .> clamp)
        x.replace(with: -clamp, where: x .< -clamp)
        let x2 = x * x
        var p = SIMD4(repeating: a13)
        p = p * x2 + a11
        p = p * x2 + a9
        p = p * x2 + a7
        p = p * x2 + a5
        p = p * x2 + a3
        p = p * x2 + a1
        p = p * x
        var q = SIMD4(repeating: b6)
        q = q * x2 + b4
        q = q * x2 + b2
        q = q * x2 + b0
        var result = p / q
        result.replace(with: input, where: (input .< tiny) .& (input .> -tiny))
        return result
    }

}
