public import ArgumentParser

/// `--runtime HOST:PORT --state DIR`: where the runtime listens and where this role's admission
/// (from its `attest` subcommand) is kept. Shared by the provider's and the device's subcommands.
public struct RuntimeOptions: ParsableArguments {
    /// Where the runtime listens.
    @Option(help: ArgumentHelp("The runtime's address.", valueName: "HOST:PORT"))
    public var runtime = HostPort(host: "127.0.0.1", port: 8124)

    /// This role's state folder.
    @Option(help: ArgumentHelp("This role's state folder, as its attest subcommand left it.", valueName: "DIR"))
    public var state: String

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}
}
