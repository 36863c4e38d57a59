import Foundation
import Privacy
import Testing

/// FL mode under `fl.privacy` with real processes: the privacy budget stops the federation and stays
/// spent across a SIGKILL and restart; a device refuses a policy looser than its `--max-epsilon`.
@Suite(.serialized)
struct FLPrivacyProcessTests {
    @Test func theBudgetStopsTheFederationAcrossASigkillAndADeviceRefusesALooserPolicy() throws {
        // Every device sampled (Q = 1) and a budget of exactly one round: epsilon(2 rounds) is far above 1.01 epsilon(1).
        let oneRound = try PrivacyAccountant(noiseMultiplier: 1, samplingRate: 1).epsilon(rounds: 1, delta: 1e-5).epsilon
        let maxEpsilon = oneRound * 1.01
        let privacy = """
            "privacy": {"clip-norm": 5, "noise-multiplier": 1, "sampling-rate": 1, "expected-updates": 1, "delta": 1e-05, "max-epsilon": \(maxEpsilon)},
            """
        let domain = try AdmittedDomain(template: "fl") {
            $0.replacingOccurrences(of: "\"clip-norm\": 20,", with: privacy).replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": 1")
        }
        for role in ["provider", "device"] { try domain.admit(role) }
        try "white\n".write(toFile: domain.path("white.txt"), atomically: true, encoding: .utf8)

        // Before anything is sent: nothing listens at port 9, so the refusal cannot come from a runtime.
        let strict = try Executables.run(
            "cml-device",
            ["fl", "--runtime", "127.0.0.1:9", "--state", domain.state("device"), "--words", domain.path("white.txt"), "--max-epsilon", "0.001"])
        #expect(strict.status != 0)
        #expect(strict.standardError.contains("allows epsilon \(maxEpsilon) (fl.privacy.max-epsilon, at delta 1e-05), more than --max-epsilon 0.001; this device takes no part"))

        let (runtime, port) = try domain.startRuntime(mode: "fl")
        defer { runtime.stop() }
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        try AdmittedDomain.check(try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))

        let device = ["fl", "--state", domain.state("device"), "--words", domain.path("white.txt"), "--epochs", "5", "--rounds", "3", "--max-epsilon", "100"]
        let last = domain.path("last.cmlm")
        let first = try Executables.run("cml-device", device + ["--runtime", "127.0.0.1:\(port)", "--out", last])
        try AdmittedDomain.check(first)
        let spent = "privacy spent: epsilon \(oneRound) at delta 1e-05 after 1 round (noise multiplier 1.0, sampling rate 1.0, clip norm 5.0)"
        #expect(first.lines.first?.hasPrefix("round 1: received global model ") == true)
        #expect(first.lines.first?.hasSuffix("; \(spent)") == true)
        let inspected = try Executables.run("cml-provider", ["inspect", last])
        try AdmittedDomain.check(inspected)
        #expect(inspected.lines.contains("  privacy       \(spent.dropFirst("privacy spent: ".count))"))
        #expect(first.standardError.contains("the runtime takes no more rounds (budget-exhausted): the federation's privacy budget is spent"))
        #expect(first.standardError.contains("stopping after 1 round"))
        _ = try runtime.waitForLine { $0.contains("the privacy budget is spent: the global model ") }

        #expect(runtime.end(with: SIGKILL) == SIGKILL)
        let (restarted, newPort) = try domain.startRuntime(mode: "fl")
        defer { restarted.stop() }
        _ = try restarted.waitForLine { $0.contains("the privacy budget is spent: the global model of round 1 is the last") }
        let again = try Executables.run("cml-device", device + ["--runtime", "127.0.0.1:\(newPort)"])
        try AdmittedDomain.check(again)
        #expect(again.standardError.contains("(budget-exhausted)"))
        #expect(again.standardError.contains("stopping after 0 rounds"))
        #expect(restarted.end(with: SIGTERM) == 0)
    }
}
