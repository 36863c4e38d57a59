/// One allowed connection: a party with role `from` may connect to a party with role `to`.
public struct ChannelRule: Codable, Hashable, Sendable {
    /// The role that opens the connection.
    public let from: String
    /// The role that accepts it.
    public let to: String

    /// A rule letting `from` connect to `to`.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}
