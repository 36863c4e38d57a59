import ByteKit
public import ArgumentParser

/// A `HOST:PORT` argument such as `127.0.0.1:8123`.
public struct HostPort: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    /// The host name or address, without brackets (an IPv6 address is bracketed only in `description`).
    public let host: String
    /// The port.
    public let port: UInt16

    /// `host:port`.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`; nil (a usage error naming the option) for anything else.
    public init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"),
            let port = UInt16(argument[argument.index(after: colon)...])
        else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    /// "127.0.0.1:8124", or "[::1]:8124".
    public var description: String { hostPortText(host: host, port: port) }

    /// How `--help` shows the value.
    public static var defaultValueDescription: String { "HOST:PORT" }
}
