public import Channel
public import OpenSSLKit

/// A client of one kind of server whose replicas it reaches through a `ReconnectingClient`
/// (`RuntimeClient`, `AnchorClient`): what they share besides their requests.
public protocol ReplicaClient: AnyObject {
    /// A client of the replicas at `addresses`, tried in order, presenting the certificate in `context`.
    init(addresses: [ServerAddress], context: TLSContext, configuration: ChannelClient.Configuration)
    /// The connection to the replicas.
    var replicas: ReconnectingClient { get }
}

extension ReplicaClient {
    /// A client of the one server at `host:port`, presenting the certificate in `context`.
    public init(host: String, port: UInt16, context: TLSContext, configuration: ChannelClient.Configuration = .init()) {
        self.init(addresses: [ServerAddress(host: host, port: port)], context: context, configuration: configuration)
    }

    /// "127.0.0.1:8124": the replica in use (the one that answered last, or the first).
    public var endpoint: String { replicas.address?.description ?? "no address" }

    /// Closes the connection, if open.
    public func close() {
        replicas.close()
    }
}
