import ArgumentParser
import CommandSupport

@main
struct CMLBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-bench",
        abstract: "Measures ConfidentialML's hot paths and prints one JSON object per figure on standard output.",
        discussion: """
            Suites: \(Suites.planned.joined(separator: ", ")), and all (every suite built so far: \
            \(Suites.built.map { $0.name }.joined(separator: ", "))). Each figure is the median of several runs \
            after a warm-up. Progress and notes go to standard error.
            """,
        version: ToolVersion.text)

    /// `cml-bench flood-attacker ...` is one attacking process of the flood suite; anything else names a suite.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == FloodAttacker.configuration.commandName {
            FloodAttacker.main(Array(arguments.dropFirst()))
        } else {
            main(arguments)
        }
    }

    @Argument(help: "The suite to run.")
    var suite: String

    @Option(help: "Measured runs per figure; the figure is their median.")
    var runs = 5

    @Option(help: "Seconds each measured run lasts at least.")
    var seconds = 0.25

    @Option(help: "Word list for the train suite (its five-letter lower-case words are used).")
    var words = "/usr/share/dict/words"

    @Option(help: ArgumentHelp("Where the privacy suite writes its accuracy chart (SVG).", valueName: "FILE"))
    var chart: String?

    @Flag(help: "Run the ml and fl suites' runtime with the admin endpoint on (metrics recorded), its /status and /metrics fetched every second.")
    var admin = false

    @Option(help: ArgumentHelp("The fl suite's runtime store: dir (one runtime on its state folder) or postgres (replicas on a throwaway database).", valueName: "dir|postgres"))
    var store = "dir"

    @Option(help: "Runtime replicas of the fl suite with --store postgres, devices spread over them.")
    var replicas = 1

    @Option(help: ArgumentHelp("The fl suite's device counts, measured as with --store postgres (its default: 1000,10000); on the folder store, one runtime.", valueName: "N,N,..."))
    var devices: String?

    func validate() throws {
        guard ["dir", "postgres"].contains(store) else { throw ValidationError("--store must be dir or postgres, got \"\(store)\"") }
        guard replicas >= 1 else { throw ValidationError("--replicas must be at least 1") }
        guard replicas == 1 || store == "postgres" else { throw ValidationError("--replicas above 1 needs --store postgres: replicas share rounds through the database") }
        _ = try deviceCounts()
        guard !admin || (store == "dir" && devices == nil) else {
            throw ValidationError("--admin is for the folder-store fl suite (10, 100 and 1,000 devices); --store postgres and --devices run without the admin endpoint")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        _ = try Suites.resolve(suite)
    }

    func run() throws {
        let trap = BenchChildren.trapSignals()
        defer { withExtendedLifetime(trap) {} }
        let settings = BenchSettings(
            runs: runs, seconds: seconds, words: words, chart: chart, admin: admin, store: store, replicas: replicas, devices: try deviceCounts())
        for suite in try Suites.resolve(suite) {
            try suite.run(settings, JSONLinesReporter(bench: suite.name, admin: admin))
        }
    }

    /// `--devices` as numbers; nil when not given.
    private func deviceCounts() throws -> [Int]? {
        guard let devices else { return nil }
        return try devices.split(separator: ",", omittingEmptySubsequences: false).map { text in
            guard let count = Int(text), count >= 1 else { throw ValidationError("--devices: \"\(text)\" is not a device count of at least 1") }
            return count
        }
    }
}
