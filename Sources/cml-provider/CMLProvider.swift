import ArgumentParser
import CommandSupport
import Policy
import RoleCommands

@main
struct CMLProvider: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-provider",
        abstract: "The model provider: creates, trains and inspects word models, and sends them to the runtime.",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file, peer or request that failed), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [Train.self, Inspect.self, AttestCommand<CMLProvider>.self, Send.self, Fetch.self])
}

extension CMLProvider: AttestingProgram {
    /// The role `attest` claims.
    static let role = Role.provider
}
