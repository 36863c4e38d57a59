import ArgumentParser
import RoleCommands

@main
struct CMLProvider: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-provider",
        abstract: "The model provider: creates, trains and inspects word models.",
        subcommands: [Train.self, Inspect.self, AttestCommand<ProviderRole>.self])
}

/// The provider role's name.
enum ProviderRole: AttestingRole {
    static let name = "provider"
}
