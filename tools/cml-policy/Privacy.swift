import ArgumentParser
import CommandSupport
import Foundation
import Privacy

/// `cml-policy privacy`: the epsilon a DP-FedAvg policy spends, for operators choosing its settings.
struct PrivacyBudget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Prints the epsilon DP-FedAvg spends over some rounds, or the most rounds within an epsilon.",
        discussion: """
            Rényi DP of the Poisson-subsampled Gaussian mechanism, composed over the rounds and converted to \
            (epsilon, delta) as dp-accounting's RdpAccountant does. Give --rounds for the epsilon after that many \
            rounds, or --max-epsilon for the most rounds that stay within it (docs/privacy.md).
            """)

    @Option(name: .customLong("noise-multiplier"), help: ArgumentHelp("Z: the noise's standard deviation over the clip norm.", valueName: "Z"))
    var noiseMultiplier: Double

    @Option(name: .customLong("sampling-rate"), help: ArgumentHelp("Q: the probability a device takes part in a round, in (0, 1].", valueName: "Q"))
    var samplingRate: Double

    @Option(help: ArgumentHelp("The delta the epsilon holds at, in (0, 1).", valueName: "DELTA"))
    var delta: Double

    @Option(help: ArgumentHelp("The rounds released.", valueName: "N"))
    var rounds: Int?

    @Option(name: .customLong("max-epsilon"), help: ArgumentHelp("Print the most rounds within this epsilon instead.", valueName: "E"))
    var maxEpsilon: Double?

    @Flag(help: "Print one JSON object: epsilon, delta, rounds, order (and max-epsilon with --max-epsilon).")
    var json = false

    func validate() throws {
        guard (rounds == nil) != (maxEpsilon == nil) else {
            throw ValidationError("give exactly one of --rounds N (the epsilon they spend) and --max-epsilon E (the rounds within it)")
        }
        // The accountant's own checks, so the CLI and the policy refuse the same values with the same reasons.
        do {
            let accountant = try PrivacyAccountant(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate)
            _ = try accountant.epsilon(rounds: rounds ?? 0, delta: delta)
            if let maxEpsilon, !(maxEpsilon > 0 && maxEpsilon.isFinite) {
                throw PrivacyError(field: "max-epsilon", "is \(maxEpsilon); it must be a finite number above 0")
            }
        } catch let error as PrivacyError {
            throw ValidationError("--\(error.field) \(error.reason)")
        }
    }

    func run() throws {
        do {
            let accountant = try PrivacyAccountant(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate)
            let spent = try accountant.epsilon(rounds: try rounds ?? accountant.maxRounds(epsilon: maxEpsilon ?? 0, delta: delta), delta: delta)
            if json {
                print(try jsonLine(spent))
            } else if let maxEpsilon {
                print(
                    "\(spent.rounds) rounds stay within epsilon \(maxEpsilon) at delta \(delta): they spend \(spent.epsilon) "
                        + "(noise multiplier \(noiseMultiplier), sampling rate \(samplingRate), best Rényi order \(spent.order))")
            } else {
                print(
                    "epsilon \(spent.epsilon) at delta \(delta) after \(spent.rounds) rounds "
                        + "(noise multiplier \(noiseMultiplier), sampling rate \(samplingRate), best Rényi order \(spent.order))")
            }
        } catch let error as PrivacyError {
            throw CommandFailure("--\(error.field) \(error.reason)")
        }
    }

    /// `{"delta": ..., "epsilon": ..., "order": ..., "rounds": N}`, with "max-epsilon" when asked for.
    private func jsonLine(_ spent: PrivacySpent) throws -> String {
        var object: [String: Any] = ["epsilon": spent.epsilon, "delta": spent.delta, "rounds": spent.rounds, "order": spent.order]
        if let maxEpsilon { object["max-epsilon"] = maxEpsilon }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
