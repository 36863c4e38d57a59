import Foundation
import Privacy
import Testing

@Suite struct PrivacySettingsTests {
    static let valid = PrivacySettings(
        clipNorm: 1, noiseMultiplier: 1.1, samplingRate: 0.01, expectedUpdates: 100, delta: 1e-5, maxEpsilon: 8)

    @Test func validSettingsPass() throws {
        try Self.valid.validate()
    }

    @Test(arguments: [
        ("clip-norm", Double.nan), ("clip-norm", 0), ("clip-norm", 2e6), ("noise-multiplier", -1), ("noise-multiplier", 101),
        ("sampling-rate", 0), ("sampling-rate", 1.01), ("expected-updates", 0), ("expected-updates", .infinity),
        ("delta", 0), ("delta", 1), ("max-epsilon", 0), ("max-epsilon", .infinity),
    ])
    func refusesAValueOutOfRange(field: String, value: Double) {
        var settings = Self.valid
        switch field {
        case "clip-norm": settings.clipNorm = value
        case "noise-multiplier": settings.noiseMultiplier = value
        case "sampling-rate": settings.samplingRate = value
        case "expected-updates": settings.expectedUpdates = value
        case "delta": settings.delta = value
        default: settings.maxEpsilon = value
        }
        do {
            try settings.validate()
            Issue.record("\(field) = \(value) passed")
        } catch {
            #expect(error.field == field)
        }
    }

    /// A budget one round already exceeds cannot be met: the check says what one round spends.
    @Test func refusesABudgetOneRoundExceeds() {
        var settings = Self.valid
        settings.samplingRate = 1
        settings.noiseMultiplier = 0.5
        settings.maxEpsilon = 1
        do {
            try settings.validate()
            Issue.record("a budget one round exceeds passed")
        } catch {
            #expect(error.field == "max-epsilon")
            #expect(error.reason.contains("one round already spends epsilon"))
        }
    }

    @Test func decodesThePolicyKeys() throws {
        let json = #"{"clip-norm": 1, "noise-multiplier": 1.1, "sampling-rate": 0.01, "expected-updates": 100, "delta": 1e-5, "max-epsilon": 8}"#
        #expect(try JSONDecoder().decode(PrivacySettings.self, from: Data(json.utf8)) == Self.valid)
    }

    /// The grid's noise multiplier is exactly Z, and C is at least 2^20 steps, so rounding to the grid
    /// costs at most 21 / 2^20 of C for the model's 1,596 coordinates.
    @Test(arguments: [0.3, 1.0, 1.1, 7.5, 100])
    func gridKeepsTheNoiseMultiplier(z: Double) throws {
        let grid = try #require(NoiseGrid(clipNorm: 3, noiseMultiplier: z))
        #expect(abs(Double(grid.noise.sigma) / grid.sensitivity - z) <= 1e-12 * z)
        #expect(abs(grid.step * grid.sensitivity - 3) <= 1e-12)
        #expect(grid.sensitivity >= 0x1p20)
        #expect(grid.clipBound(dimension: 1596) >= grid.sensitivity * (1 - 21 / 0x1p20))
    }
}
