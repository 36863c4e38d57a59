import Admin
import ArgumentParser
import CommandSupport
import Policy
import RoleCommands

@main
struct CMLRuntime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-runtime",
        abstract: "The ML runtime in a realm: attests to the certifier, then trains the word model on devices' words (ML) or aggregates their models in rounds (FL).",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file, peer or request that failed), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [AttestCommand<CMLRuntime>.self, Serve.self, StatusCommand.self])
}

extension CMLRuntime: AttestingProgram {
    /// The role `attest` claims.
    static let role = Role.runtime
}
