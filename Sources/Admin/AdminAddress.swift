public import ArgumentParser
public import CommandSupport

/// Where the admin endpoint listens: `HOST:PORT` as every other address option takes it, or a bare
/// `PORT` on the loopback address (the endpoint is plain HTTP, so it stays on the machine unless an
/// address is given).
public struct AdminAddress: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    /// The host and port; port 0 lets the system pick one.
    public let hostPort: HostPort

    /// The host or address, without brackets.
    public var host: String { hostPort.host }
    /// The port.
    public var port: UInt16 { hostPort.port }

    /// Listens at `hostPort`.
    public init(_ hostPort: HostPort) {
        self.hostPort = hostPort
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `PORT` (on 127.0.0.1); nil for anything else.
    public init?(argument: String) {
        if let port = UInt16(argument) {
            self.init(HostPort(host: "127.0.0.1", port: port))
        } else if let hostPort = HostPort(argument: argument) {
            self.init(hostPort)
        } else {
            return nil
        }
    }

    /// "127.0.0.1:9124", or "[::1]:9124".
    public var description: String { hostPort.description }

    /// How `--help` shows the value.
    public static var defaultValueDescription: String { "HOST:PORT" }
}
