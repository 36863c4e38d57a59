/// Poisson sampling: each device takes part in a round independently with probability `rate`, decided
/// from the CSPRNG; the accountant's subsampling amplification assumes exactly this.
///
/// Exact for every Double rate: a uniform real U in [0, 1) is drawn 64 bits at a time and compared with
/// the rate's binary expansion (which is finite), and the device is admitted when U < rate. Most
/// decisions need one word; the next word is drawn only while U's bits equal the rate's so far.
public struct PoissonSampler: Sendable, Hashable {
    /// The probability Q of admission, in (0, 1].
    public let rate: Double

    /// A sampler admitting with probability `rate`; throws naming `sampling-rate` unless it is in (0, 1].
    public init(rate: Double) throws(PrivacyError) {
        guard rate > 0, rate <= 1 else { throw PrivacyError(field: "sampling-rate", "is \(rate); it must be above 0 and at most 1") }
        self.rate = rate
    }

    /// Whether one device takes part, with probability exactly `rate`.
    public func admits(using bits: some RandomBits = SecureRandomBits()) -> Bool {
        guard rate < 1 else { return true }
        // rate = significand / 2^shift with an integer significand below 2^53.
        let significand: UInt64
        let shift: Int
        if rate.isNormal {
            significand = (1 << 52) | rate.significandBitPattern
            shift = 52 - Int(rate.exponent)
        } else {
            significand = rate.significandBitPattern
            shift = 1074
        }
        var word = 0
        // Words past the significand's last bit are 0, where U >= rate whatever U's remaining bits are.
        while 64 * word < shift {
            // Bits 64·word+1 ... 64·word+64 of the rate: floor(rate · 2^(64(word+1))) mod 2^64.
            let offset = 64 * (word + 1) - shift
            let rateWord = offset >= 0 ? significand << UInt64(offset) : significand >> UInt64(-offset)
            let drawn = bits.next()
            if drawn != rateWord { return drawn < rateWord }
            word += 1
        }
        return false
    }
}
