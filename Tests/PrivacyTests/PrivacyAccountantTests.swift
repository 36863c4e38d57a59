import Foundation
@testable import Privacy
import Testing

@Suite struct PrivacyAccountantTests {
    /// Figures dp-accounting 0.6.0 printed (Tests/PrivacyTests/dp_accounting_epsilons.py), so this
    /// suite checks the accountant without Python; EndToEndTests compares more points live.
    @Test(arguments: [
        (0.01, 1.1, 1000, 1e-5, 1.7117701662429012, 9.6),
        (1.0, 1.0, 10, 1e-5, 19.05359753163139, 2.5),
        (0.001, 0.8, 10000, 1e-6, 1.7036252861577152, 8.2),
    ])
    func agreesWithDPAccounting(q: Double, z: Double, rounds: Int, delta: Double, epsilon: Double, order: Double) throws {
        let spent = try PrivacyAccountant(noiseMultiplier: z, samplingRate: q).epsilon(rounds: rounds, delta: delta)
        #expect(abs(spent.epsilon - epsilon) <= 0.01 * epsilon, "epsilon \(spent.epsilon), dp-accounting \(epsilon)")
        #expect(spent.order == order)
    }

    /// At Q = 1 the mechanism is the Gaussian mechanism: RDP rounds·α/(2Z²) at every order, converted
    /// with the formula, minimised over the orders.
    @Test func fullSamplingIsTheGaussianMechanism() throws {
        let (z, rounds, delta) = (2.0, 50, 1e-5)
        let spent = try PrivacyAccountant(noiseMultiplier: z, samplingRate: 1).epsilon(rounds: rounds, delta: delta)
        let expected = RenyiOrders.standard.map { order in
            Double(rounds) * order / (2 * z * z) + log1p(-1 / order) - log(delta * order) / (order - 1)
        }.min()!
        #expect(abs(spent.epsilon - expected) < 1e-12)
    }

    /// Subsampling amplifies: at Q < 1 one round spends less than at Q = 1, and more rounds spend more.
    @Test func epsilonFallsWithTheRateAndGrowsWithTheRounds() throws {
        let full = try PrivacyAccountant(noiseMultiplier: 1, samplingRate: 1).epsilon(rounds: 1, delta: 1e-5).epsilon
        let sampled = try PrivacyAccountant(noiseMultiplier: 1, samplingRate: 0.01)
        #expect(try sampled.epsilon(rounds: 1, delta: 1e-5).epsilon < full)
        #expect(try sampled.epsilon(rounds: 0, delta: 1e-5).epsilon == 0)
        var last = 0.0
        for rounds in [1, 10, 100, 1000, 10_000] {
            let epsilon = try sampled.epsilon(rounds: rounds, delta: 1e-5).epsilon
            #expect(epsilon > last)
            last = epsilon
        }
    }

    /// The most rounds within a budget: that many stay within it, one more does not.
    @Test(arguments: [(0.01, 1.1, 2.0), (1.0, 5.0, 3.0), (0.001, 0.8, 1.0)])
    func maxRoundsIsTheLastRoundWithinTheBudget(q: Double, z: Double, budget: Double) throws {
        let accountant = try PrivacyAccountant(noiseMultiplier: z, samplingRate: q)
        let rounds = try accountant.maxRounds(epsilon: budget, delta: 1e-5)
        #expect(rounds > 0)
        #expect(try accountant.epsilon(rounds: rounds, delta: 1e-5).epsilon <= budget)
        #expect(try accountant.epsilon(rounds: rounds + 1, delta: 1e-5).epsilon > budget)
    }

    @Test func maxRoundsIsZeroWhenOneRoundIsOverTheBudget() throws {
        let accountant = try PrivacyAccountant(noiseMultiplier: 0.5, samplingRate: 1)
        #expect(try accountant.maxRounds(epsilon: 0.1, delta: 1e-5) == 0)
    }

    @Test func refusalsNameTheSetting() throws {
        #expect(throws: PrivacyError(field: "noise-multiplier", "is 0.0; it must be a finite number above 0")) {
            try PrivacyAccountant(noiseMultiplier: 0, samplingRate: 0.1)
        }
        #expect(throws: PrivacyError(field: "sampling-rate", "is 2.0; it must be above 0 and at most 1")) {
            try PrivacyAccountant(noiseMultiplier: 1, samplingRate: 2)
        }
        let accountant = try PrivacyAccountant(noiseMultiplier: 1, samplingRate: 0.1)
        #expect(throws: PrivacyError(field: "delta", "is 1.0; it must be above 0 and below 1")) {
            try accountant.epsilon(rounds: 1, delta: 1)
        }
        #expect(throws: PrivacyError(field: "rounds", "is -1; it must be between 0 and \(PrivacyAccountant.maximumRounds)")) {
            try accountant.epsilon(rounds: -1, delta: 1e-5)
        }
        #expect(throws: PrivacyError(field: "max-epsilon", "is nan; it must be a finite number above 0")) {
            try accountant.maxRounds(epsilon: .nan, delta: 1e-5)
        }
    }

    /// log(erfc(x)) joins its asymptotic series at x = 25 without a jump.
    @Test func erfcLogIsContinuousAtTheSeries() {
        let below = LogSpace.erfcLog(25)
        let above = LogSpace.erfcLog(25.000001)
        #expect(abs(above - below) < 1e-3)
        #expect(LogSpace.erfcLog(40).isFinite)
        #expect(abs(LogSpace.erfcLog(-30) - log(2)) < 1e-15)
    }
}
