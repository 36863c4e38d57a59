/// The narrowest IEEE 754 width that holds a float exactly, as deterministic encoding
/// (RFC 8949 §4.2.1, preferred serialization) requires.
enum FloatWidth: Equatable {
    case half(Float)
    case single(Float)
    case double(Double)

    /// The shortest exact width for `value`; every NaN becomes the half-precision quiet NaN `0x7e00`.
    ///
    /// libcbor 0.8's half encoder keeps only the top bit of a subnormal half's significand,
    /// so such a half with more than one bit set is written as a single instead: exact and
    /// deterministic, one width wider than preferred.
    init(_ value: Double) {
        if value.isNaN {
            self = .half(.nan)
            return
        }
        let single = Float(value)
        guard Double(single).bitPattern == value.bitPattern else {
            self = .double(value)
            return
        }
        switch Self.halfForm(of: single) {
        case .exactNormal: self = .half(single)
        case .exactSubnormal(let significandBits) where significandBits == 1: self = .half(single)
        default: self = .single(single)
        }
    }

    private enum HalfForm {
        case inexact
        case exactNormal
        case exactSubnormal(significandBits: Int)
    }

    /// Whether a half holds `single` exactly, worked out from the bits (Swift's `Float16`
    /// is missing on some platforms).
    private static func halfForm(of single: Float) -> HalfForm {
        if single == 0 || single.isInfinite { return .exactNormal }
        // Single subnormals lie far below the smallest half subnormal (2^-24).
        guard single.isNormal else { return .inexact }
        let exponent = Int(single.exponent)
        let significand = UInt32(1) << 23 | single.significandBitPattern
        switch exponent {
        case -14...15:
            // A half keeps 10 of the single's 23 fraction bits.
            return significand & 0x1fff == 0 ? .exactNormal : .inexact
        case -24 ..< -14:
            // A subnormal half counts in steps of 2^-24: value = significand * 2^(exponent - 23).
            let droppedBits = -(exponent + 1)
            guard significand.trailingZeroBitCount >= droppedBits else { return .inexact }
            return .exactSubnormal(significandBits: significand.nonzeroBitCount)
        default:
            return .inexact
        }
    }
}
