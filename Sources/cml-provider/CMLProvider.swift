import ArgumentParser

@main
struct CMLProvider: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-provider",
        abstract: "The model provider: creates, trains and inspects word models.",
        subcommands: [Train.self, Inspect.self])
}
