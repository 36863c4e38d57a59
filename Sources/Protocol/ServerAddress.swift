internal import ByteKit

/// One replica's address, `host:port`; a client holds an ordered list of them (`ReconnectingClient`).
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public let host: String
    /// The port.
    public let port: UInt16

    /// `host:port`.
    public init(host: String, port: UInt16) { (self.host, self.port) = (host, port) }

    /// "127.0.0.1:8124", or "[::1]:8124".
    public var description: String { hostPortText(host: host, port: port) }
}
