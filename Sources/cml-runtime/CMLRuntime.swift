import Admin
import ArgumentParser
import CommandSupport
import Policy
import RoleCommands

@main
struct CMLRuntime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-runtime",
        abstract: "The ML runtime in a realm: attests to the certifier at every start, then trains the word model on devices' words (ML) or aggregates their models in rounds (FL).",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file, peer or request that failed), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [AttestCommand<CMLRuntime>.self, Serve.self, MigrateCommand<CMLRuntime>.self, StatusCommand.self])
}

extension CMLRuntime: AttestingProgram {
    /// The role `attest` claims.
    static let role = Role.runtime
    /// The runtime's `attest` only checks: its folder is the host's, and `serve` attests in memory.
    static let keepsAdmission = false
}
