import Foundation
import Privacy
import Testing

@Suite struct PoissonSamplerTests {
    /// The comparison with the rate's bits is exact: U = 0.0111...1 (64 bits) is below 0.5, U = 0.1 is not.
    @Test func comparesTheFirstWordWithTheRate() throws {
        let half = try PoissonSampler(rate: 0.5)
        #expect(half.admits(using: ScriptedBits([0x7FFF_FFFF_FFFF_FFFF])))
        #expect(!half.admits(using: ScriptedBits([0x8000_0000_0000_0000])))
        let threeQuarters = try PoissonSampler(rate: 0.75)
        #expect(threeQuarters.admits(using: ScriptedBits([0xBFFF_FFFF_FFFF_FFFF])))
        #expect(!threeQuarters.admits(using: ScriptedBits([0xC000_0000_0000_0000])))
    }

    /// A rate of 2^-70 has its one bit in the second word: a first word of 0 draws a second one, and
    /// only a second word below 2^58 admits.
    @Test func drawsTheNextWordOnlyWhileTheBitsAreEqual() throws {
        let tiny = try PoissonSampler(rate: 0x1p-70)
        let below = ScriptedBits([0, (1 << 58) - 1])
        #expect(tiny.admits(using: below))
        #expect(below.isSpent)
        #expect(!tiny.admits(using: ScriptedBits([0, 1 << 58])))
        let above = ScriptedBits([1, 0])
        #expect(!tiny.admits(using: above))
        #expect(!above.isSpent, "the first word decided, so the second must not be drawn")
        // The smallest subnormal rate, 2^-1074, is bit 50 of word 16: U equal to it in every word it has is
        // not below it, and U one below it is.
        let smallest = try PoissonSampler(rate: Double.leastNonzeroMagnitude)
        #expect(!smallest.admits(using: ScriptedBits([UInt64](repeating: 0, count: 16) + [1 << 14])))
        #expect(smallest.admits(using: ScriptedBits([UInt64](repeating: 0, count: 16) + [(1 << 14) - 1])))
    }

    @Test func rateOneAlwaysAdmitsWithoutDrawing() throws {
        #expect(try PoissonSampler(rate: 1).admits(using: ScriptedBits([])))
    }

    /// 200,000 decisions from the CSPRNG at Q = 0.3: the observed rate is within Hoeffding's bound
    /// (0.0054 for failure probability 1e-6).
    @Test func observedRateMatchesTheRate() throws {
        let sampler = try PoissonSampler(rate: 0.3)
        let bits = SecureRandomBits()
        let trials = 200_000
        let admitted = (0..<trials).filter { _ in sampler.admits(using: bits) }.count
        let bound = Bounds.hoeffding(draws: trials)
        #expect(abs(Double(admitted) / Double(trials) - 0.3) <= bound, "admitted \(admitted) of \(trials)")
    }

    @Test(arguments: [0, -0.1, 1.5, Double.nan, Double.infinity])
    func refusesARateOutsideZeroToOne(rate: Double) {
        #expect(throws: PrivacyError.self) { try PoissonSampler(rate: rate) }
        do {
            _ = try PoissonSampler(rate: rate)
        } catch {
            #expect(error.field == "sampling-rate")
            #expect(error.description.contains("must be above 0 and at most 1"))
        }
    }
}
