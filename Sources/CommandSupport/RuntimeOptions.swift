public import ArgumentParser

/// `--runtime HOST:PORT[,HOST:PORT...] --state DIR`: where the runtime's replicas listen and where this role's admission
/// (from its `attest` subcommand) is kept. Shared by the provider's and the device's subcommands.
public struct RuntimeOptions: ParsableArguments {
    /// Where the runtime's replicas listen, tried in this order.
    @Option(
        help: ArgumentHelp(
            "The runtime's address, or its replicas' addresses separated by commas (tried in order; the next on a connection failure or an unavailable answer; default: 127.0.0.1:8124).",
            valueName: "HOST:PORT[,HOST:PORT...]"),
        transform: { try HostPortList.parse($0) })
    public var runtime = HostPortList(HostPort(host: "127.0.0.1", port: 8124))

    /// This role's state folder.
    @Option(help: ArgumentHelp("This role's state folder, as its attest subcommand left it.", valueName: "DIR"))
    public var state: String

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}
}
