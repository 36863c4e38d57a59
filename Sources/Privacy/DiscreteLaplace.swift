/// The discrete Laplace distribution on the integers, P(x) ∝ exp(-|x| / scale), sampled exactly
/// (Canonne, Kamath and Steinke 2020, Algorithm 2): the proposal of the discrete Gaussian sampler.
struct DiscreteLaplace {
    /// The scale t, an integer >= 1.
    let scale: UInt64

    /// One draw.
    func sample(_ bits: some RandomBits) -> Int64 {
        while true {
            let negative = bits.next() & 1 == 1
            let magnitude = geometric(bits)
            // Without this, 0 would come up twice as often as it should (as +0 and -0).
            if negative && magnitude == 0 { continue }
            return negative ? -magnitude : magnitude
        }
    }

    /// A draw with P(k) ∝ exp(-k / scale), k >= 0: k = v·scale + u, with u uniform below `scale` and
    /// kept with probability exp(-u / scale), and v geometric with P(v) ∝ exp(-v).
    private func geometric(_ bits: some RandomBits) -> Int64 {
        var u: UInt64
        repeat {
            u = bits.uniform(below: scale)
        } while !ExactBernoulli.exponential(UInt128(u), over: UInt128(scale), bits)
        var v: UInt64 = 0
        while ExactBernoulli.exponential(1, over: 1, bits) { v += 1 }
        // v > 2^33 has probability below exp(-2^33): clamping instead of trapping changes nothing real.
        let (product, overflow) = v.multipliedReportingOverflow(by: scale)
        let (sum, carry) = product.addingReportingOverflow(u)
        return overflow || carry ? Int64.max : Int64(clamping: sum)
    }
}
