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
