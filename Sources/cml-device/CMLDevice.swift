import ArgumentParser
import CommandSupport
import Policy
import RoleCommands

@main
struct CMLDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-device",
        abstract: "The data owner's device: on-device prediction; training on the runtime (ML mode) or here, aggregated in rounds (FL mode).",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file, peer or request that failed), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [AttestCommand<CMLDevice>.self, Run.self, Console.self, TrainWords.self, Predict.self, Federate.self])
}

extension CMLDevice: AttestingProgram {
    /// The role `attest` claims.
    static let role = Role.device
}
