/// One allowed connection: a party with role `from` may connect to a party with role `to`.
public struct ChannelRule: Codable, Hashable, Sendable {
    public let from: String
    public let to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
