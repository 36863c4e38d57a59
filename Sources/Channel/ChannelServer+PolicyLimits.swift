public import Policy

extension ChannelServer.Configuration {
    /// This configuration with the per-peer connection limits that `limits` sets (from the signed
    /// policy); a limit it leaves out keeps this configuration's value.
    public func limited(by limits: PolicyLimits?) -> Self {
        var configuration = self
        guard let limits else { return configuration }
        if let value = limits.connectionsPerAddress { configuration.maxConnectionsPerAddress = value }
        if let value = limits.connectionsPerCertificate { configuration.maxConnectionsPerCertificate = value }
        if let value = limits.connectionsPerPlatform { configuration.maxConnectionsPerPlatform = value }
        return configuration
    }
}
