import Channel
import Policy
import Testing

@Test func thePolicysLimitsReplaceOnlyTheConnectionLimitsItSets() {
    let defaults = ChannelServer.Configuration(maxConnectionsPerAddress: 100, maxConnectionsPerCertificate: 10, maxConnectionsPerPlatform: 50)
    let unchanged = defaults.limited(by: nil)
    #expect(unchanged.maxConnectionsPerAddress == 100 && unchanged.maxConnectionsPerCertificate == 10 && unchanged.maxConnectionsPerPlatform == 50)
    let some = defaults.limited(by: PolicyLimits(connectionsPerCertificate: 3, wordsPerTraining: 7))
    #expect(some.maxConnectionsPerAddress == 100 && some.maxConnectionsPerCertificate == 3 && some.maxConnectionsPerPlatform == 50)
    let all = defaults.limited(by: PolicyLimits(connectionsPerAddress: 2, connectionsPerCertificate: 4, connectionsPerPlatform: 6))
    #expect(all.maxConnectionsPerAddress == 2 && all.maxConnectionsPerCertificate == 4 && all.maxConnectionsPerPlatform == 6)
}
