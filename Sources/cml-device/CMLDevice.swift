import ArgumentParser

@main
struct CMLDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-device",
        abstract: "The data owner's device: on-device prediction with a word model.",
        subcommands: [Predict.self])
}
