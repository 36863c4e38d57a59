import ArgumentParser
import RoleCommands

@main
struct CMLDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-device",
        abstract: "The data owner's device: on-device prediction; training on the runtime (ML mode) or here, aggregated in rounds (FL mode).",
        subcommands: [AttestCommand<DeviceRole>.self, Run.self, TrainWords.self, Predict.self, Federate.self])
}

/// The device role's name.
enum DeviceRole: AttestingRole {
    static let name = "device"
}
