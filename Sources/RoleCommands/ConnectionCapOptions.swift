public import ArgumentParser
public import Channel

/// `--max-connections` and `--max-handshakes` of `serve`: the server's total caps, which are not per
/// peer and so not in the policy (docs/server.md, "Limits"). Raised for a measurement of a flood the
/// server really holds (`tools/bench flood`), or for a host with many more clients than 4,096.
public struct ConnectionCapOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The most connections served at once (default 4096); each descriptor counts against the open-file limit.", valueName: "N"))
    var maxConnections: Int?

    @Option(help: ArgumentHelp("The most connections in their TLS handshake at once (default 1024); a new one makes the oldest give way.", valueName: "N"))
    var maxHandshakes: Int?

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}

    /// Refuses a cap below one.
    public func validate() throws {
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1, got \(maxConnections)") }
        if let maxHandshakes, maxHandshakes < 1 { throw ValidationError("--max-handshakes must be at least 1, got \(maxHandshakes)") }
    }

    /// `configuration` with the caps given on the command line.
    public func applied(to configuration: ChannelServer.Configuration) -> ChannelServer.Configuration {
        var configuration = configuration
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let maxHandshakes { configuration.maxHandshakes = maxHandshakes }
        return configuration
    }
}
