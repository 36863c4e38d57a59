public import CommandSupport
public import Protocol

extension HostPortList {
    /// The addresses as the clients take them, in the order given.
    public var serverAddresses: [ServerAddress] { addresses.map { ServerAddress(host: $0.host, port: $0.port) } }
}
