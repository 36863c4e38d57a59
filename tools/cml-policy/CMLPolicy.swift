import ArgumentParser
import CommandSupport

@main
struct CMLPolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-policy",
        abstract: "Measures role binaries, fills policy templates, signs and shows policies, and accounts DP-FedAvg budgets.",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file and what is wrong), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [Measure.self, Generate.self, Sign.self, Show.self, PrivacyBudget.self])
}
