/// A source of uniformly random 64-bit words, from which the exact samplers build every draw.
///
/// A class, not a value: a copied generator would hand out the same words twice, and noise drawn
/// twice from the same words is not independent. `SecureRandomBits` is the one used outside tests.
public protocol RandomBits: AnyObject {
    /// The next uniformly random 64-bit word.
    func next() -> UInt64
}

extension RandomBits {
    /// A uniform integer in `0..<bound` (`bound` >= 1), by rejection of masked words: exact, with no
    /// modulo bias, and fewer than two words drawn on average.
    func uniform(below bound: UInt64) -> UInt64 {
        guard bound > 1 else { return 0 }
        let mask = UInt64.max >> (bound - 1).leadingZeroBitCount
        while true {
            let candidate = next() & mask
            if candidate < bound { return candidate }
        }
    }

    /// A uniform integer in `0..<bound` (`bound` >= 1), as `uniform(below:)` for 64 bits.
    func uniform(below bound: UInt128) -> UInt128 {
        guard bound > 1 else { return 0 }
        if bound <= UInt128(UInt64.max) { return UInt128(uniform(below: UInt64(bound))) }
        let mask = UInt128.max >> (bound - 1).leadingZeroBitCount
        while true {
            let candidate = (UInt128(next()) << 64 | UInt128(next())) & mask
            if candidate < bound { return candidate }
        }
    }
}
