import Foundation
import Privacy
import Testing

/// `cml-policy privacy`, and the accountant against dp-accounting, an implementation that is not ours.
@Suite struct PrivacyCommandsTests {
    static func json(_ result: Executables.Result) throws -> [String: Any] {
        try #require(result.status == 0, "\(result.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    @Test func printsTheEpsilonOfSomeRounds() throws {
        let arguments = ["privacy", "--noise-multiplier", "1.1", "--sampling-rate", "0.01", "--rounds", "1000", "--delta", "1e-5"]
        let text = try Executables.run("cml-policy", arguments)
        #expect(text.status == 0)
        #expect(text.lines.count == 1)
        #expect(text.standardOutput.hasPrefix("epsilon 1.71177016624"))
        #expect(text.standardOutput.contains("after 1000 rounds"))
        let object = try Self.json(Executables.run("cml-policy", arguments + ["--json"]))
        #expect(object["rounds"] as? Int == 1000)
        #expect(object["delta"] as? Double == 1e-5)
        #expect(object["order"] as? Double == 9.6)
        #expect(abs((object["epsilon"] as? Double ?? 0) - 1.7117701662429012) < 1e-9)
    }

    /// With --max-epsilon it prints the most rounds within it: those spend at most E, one more spends more.
    @Test func printsTheMostRoundsWithinAnEpsilon() throws {
        let object = try Self.json(Executables.run("cml-policy", [
            "privacy", "--noise-multiplier", "1.1", "--sampling-rate", "0.01", "--max-epsilon", "2", "--delta", "1e-5", "--json",
        ]))
        let rounds = try #require(object["rounds"] as? Int)
        #expect(object["max-epsilon"] as? Double == 2)
        #expect((object["epsilon"] as? Double ?? 3) <= 2)
        let next = try Self.json(Executables.run("cml-policy", [
            "privacy", "--noise-multiplier", "1.1", "--sampling-rate", "0.01", "--rounds", "\(rounds + 1)", "--delta", "1e-5", "--json",
        ]))
        #expect((next["epsilon"] as? Double ?? 0) > 2)
        let text = try Executables.run("cml-policy", [
            "privacy", "--noise-multiplier", "1.1", "--sampling-rate", "0.01", "--max-epsilon", "2", "--delta", "1e-5",
        ])
        #expect(text.standardOutput.hasPrefix("\(rounds) rounds stay within epsilon 2.0 at delta 1e-05"))
    }

    @Test(arguments: [
        (["--noise-multiplier", "0", "--sampling-rate", "0.1", "--rounds", "1", "--delta", "1e-5"], "--noise-multiplier is 0.0; it must be a finite number above 0"),
        (["--noise-multiplier", "1", "--sampling-rate", "1.5", "--rounds", "1", "--delta", "1e-5"], "--sampling-rate is 1.5; it must be above 0 and at most 1"),
        (["--noise-multiplier", "1", "--sampling-rate", "0.1", "--rounds", "1", "--delta", "2"], "--delta is 2.0; it must be above 0 and below 1"),
        (["--noise-multiplier", "1", "--sampling-rate", "0.1", "--rounds=-3", "--delta", "1e-5"], "--rounds is -3; it must be between 0 and"),
        (["--noise-multiplier", "1", "--sampling-rate", "0.1", "--max-epsilon", "0", "--delta", "1e-5"], "--max-epsilon is 0.0; it must be a finite number above 0"),
        (["--noise-multiplier", "1", "--sampling-rate", "0.1", "--delta", "1e-5"], "give exactly one of --rounds N"),
        (["--noise-multiplier", "1", "--sampling-rate", "0.1", "--rounds", "1", "--max-epsilon", "1", "--delta", "1e-5"], "give exactly one of --rounds N"),
    ])
    func refusesBadInputNamingTheOption(arguments: [String], message: String) throws {
        let result = try Executables.run("cml-policy", ["privacy"] + arguments)
        #expect(result.status == 64)
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    /// The accountant agrees with dp-accounting's RdpAccountant to within 1% (in fact to 1e-6) at points
    /// from Q = 1 to Q = 1e-4 and from 1 to 100,000 rounds, including the round counts `cml-policy privacy
    /// --max-epsilon` chose.
    @Test(.enabled(if: DPAccounting.shouldRun, DPAccounting.skipNote))
    func accountantAgreesWithDPAccounting() throws {
        let points: [(q: Double, z: Double, rounds: Int, delta: Double)] = [
            (1, 1, 1, 1e-5), (1, 0.8, 10, 1e-5), (1, 5, 1000, 1e-6), (0.01, 1.1, 1000, 1e-5), (0.01, 1.1, 1404, 1e-5),
            (0.01, 1.1, 1405, 1e-5), (0.001, 0.8, 10_000, 1e-6), (0.1, 0.5, 20, 1e-3), (0.0001, 2, 100_000, 1e-8),
            (0.05, 1.3, 250, 1e-5), (0.5, 3, 7, 0.01),
        ]
        let reference = try DPAccounting.epsilons(points.map { "\($0.q),\($0.z),\($0.rounds),\($0.delta)" })
        try #require(reference.count == points.count)
        for (point, expected) in zip(points, reference) {
            let spent = try PrivacyAccountant(noiseMultiplier: point.z, samplingRate: point.q).epsilon(rounds: point.rounds, delta: point.delta)
            #expect(abs(spent.epsilon - expected.epsilon) <= 0.01 * expected.epsilon, "\(point): \(spent.epsilon) vs \(expected.epsilon)")
            #expect(spent.order == expected.order, "\(point)")
        }
    }
}

/// Tests/PrivacyTests/dp_accounting_epsilons.py: dp-accounting's epsilons for the same points.
enum DPAccounting {
    static let script = Executables.repositoryRoot.appendingPathComponent("Tests/PrivacyTests/dp_accounting_epsilons.py").path

    /// Whether python3 can import dp_accounting.
    static let isInstalled = (try? Executables.run(program: Pycose.env, ["python3", "-c", "import dp_accounting"]).status) == 0

    /// tools/test sets CML_REQUIRE_DP_ACCOUNTING=1, so that a missing dp-accounting fails the test instead of skipping it.
    static let isRequired = ProcessInfo.processInfo.environment["CML_REQUIRE_DP_ACCOUNTING"] == "1"

    static var shouldRun: Bool { isInstalled || isRequired }

    static let skipNote: Comment =
        "dp-accounting is not installed (pip install dp-accounting, or run tools/setup); set CML_REQUIRE_DP_ACCOUNTING=1 to make this a failure"

    /// Each point's epsilon and best order; exit 3 means dp-accounting is missing.
    static func epsilons(_ points: [String]) throws -> [(epsilon: Double, order: Double)] {
        let result = try Executables.run(program: Pycose.env, ["python3", script] + points)
        try #require(result.status != 3, "dp-accounting is not installed but CML_REQUIRE_DP_ACCOUNTING=1: \(result.standardError)")
        try #require(result.status == 0, "\(result.standardError)")
        return try result.lines.map { line in
            let fields = line.split(separator: " ").compactMap { Double($0) }
            try #require(fields.count == 6, "unexpected line \(line)")
            return (fields[4], fields[5])
        }
    }
}
