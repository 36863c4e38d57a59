import ArgumentParser

/// What every suite is told: how long and how often to measure, and where its inputs are.
struct BenchSettings {
    let runs: Int
    let seconds: Double
    let words: String
    /// Where the privacy suite writes its SVG chart; nil for none.
    var chart: String? = nil
    /// Whether the ml and fl suites run the runtime with its admin endpoint on.
    var admin = false
    /// The fl suite's runtime store: `dir` (one runtime on its folder) or `postgres` (replicas sharing a
    /// database of the bench's own).
    var store = "dir"
    /// How many `cml-runtime serve` replicas the fl suite runs with `--store postgres`.
    var replicas = 1
    /// The fl suite's device counts, measured as with `--store postgres` on either store; nil for the
    /// default (10, 100 and 1,000 plain and with DP on the folder store; 1,000 and 10,000 with `postgres`).
    var devices: [Int]? = nil
}

/// One benchmark suite: a name for the command line and a run that reports figures.
protocol BenchSuite: Sendable {
    /// The suite's name on the command line and in the `bench` key.
    var name: String { get }
    /// Measures the suite's figures and reports each one.
    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws
}

/// The suites DESIGN.md plans, and the ones built so far.
enum Suites {
    static let planned = ["train", "aggregation", "tls", "token", "certifier", "certifier-replicas", "ml", "fl", "flood", "privacy"]
    static let built: [any BenchSuite] = [
        TrainSuite(), AggregationSuite(), TLSSuite(), TokenSuite(), CertifierSuite(), CertifierReplicasSuite(), MLSuite(), FLSuite(), FloodSuite(), PrivacySuite(),
    ]

    /// The suites `name` stands for; a clear usage error for unknown and unbuilt ones.
    static func resolve(_ name: String) throws -> [any BenchSuite] {
        if name == "all" { return built }
        if let suite = built.first(where: { $0.name == name }) { return [suite] }
        let builtNames = built.map(\.name).joined(separator: ", ")
        if planned.contains(name) {
            throw ValidationError("suite \"\(name)\" is not built yet; built suites: \(builtNames) (or all)")
        }
        throw ValidationError("unknown suite \"\(name)\"; suites: \(planned.joined(separator: ", ")), all (built: \(builtNames))")
    }
}
