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
        let half = Float16(single)
        let halfIsExact = Float(half).bitPattern == single.bitPattern
        let libcborWouldMangle = half.isSubnormal && half.significandBitPattern.nonzeroBitCount > 1
        self = halfIsExact && !libcborWouldMangle ? .half(single) : .single(single)
    }
}
