public import ArgumentParser

/// A `HOST:PORT[,HOST:PORT...]` argument: a server's replicas, tried in the order given. A single
/// address reads exactly as a `HostPort`.
public struct HostPortList: ExpressibleByArgument, CustomStringConvertible, Sendable, Equatable {
    /// The addresses, in order; never empty.
    public let addresses: [HostPort]

    /// The one address `address`.
    public init(_ address: HostPort) {
        addresses = [address]
    }

    /// The addresses in `text`, or a validation error naming the element that is empty or not `HOST:PORT`.
    public static func parse(_ text: String) throws(ValidationError) -> HostPortList {
        let elements = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var addresses: [HostPort] = []
        for (position, element) in elements.enumerated() {
            guard !element.isEmpty else {
                throw ValidationError("address \(position + 1) of \(elements.count) is empty (give HOST:PORT,HOST:PORT)")
            }
            guard let address = HostPort(argument: element) else {
                throw ValidationError("\"\(element)\" is not HOST:PORT (a host and a port from 0 to 65535)")
            }
            addresses.append(address)
        }
        return HostPortList(addresses: addresses)
    }

    private init(addresses: [HostPort]) {
        self.addresses = addresses
    }

    /// Parses the list; nil for a bad one (options parse with `parse` to name the bad element).
    public init?(argument: String) {
        guard let list = try? Self.parse(argument) else { return nil }
        self = list
    }

    /// "127.0.0.1:8124,127.0.0.2:8124".
    public var description: String { addresses.map(\.description).joined(separator: ",") }

    /// How `--help` shows the value.
    public static var defaultValueDescription: String { "HOST:PORT[,HOST:PORT...]" }
}
