import ArgumentParser
import RoleCommands

@main
struct CMLDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-device",
        abstract: "The data owner's device: on-device prediction with a word model.",
        subcommands: [Predict.self, AttestCommand<DeviceRole>.self])
}

/// The device role's name.
enum DeviceRole: AttestingRole {
    static let name = "device"
}
