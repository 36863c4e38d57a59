public import Channel
public import OpenSSLKit
public import Protocol
import Synchronization

/// The freshness anchor at the certifier, reached with the runtime's admission certificate
/// (`anchor-read`, `anchor-advance`; docs/protocol.md). One connection, used by one request at a time.
public final class CertifierAnchor: FreshnessAnchor {
    private let client: Mutex<AnchorClient>
    private let addresses: [ServerAddress]

    /// The anchor at the certifier at `host:port`; `context` is the runtime's mutual-TLS client context.
    public convenience init(host: String, port: UInt16, context: TLSContext, configuration: ChannelClient.Configuration = .init(readTimeout: .seconds(10))) {
        self.init(addresses: [ServerAddress(host: host, port: port)], context: context, configuration: configuration)
    }

    /// The anchor at the certifier replicas at `addresses`, tried in order (`AnchorClient`).
    public init(addresses: [ServerAddress], context: TLSContext, configuration: ChannelClient.Configuration = .init(readTimeout: .seconds(10))) {
        self.client = Mutex(AnchorClient(addresses: addresses, context: context, configuration: configuration))
        self.addresses = addresses
    }

    /// Reaches the certifier with `context` from the next request on (a renewed admission certificate):
    /// the connection made with the old one closes once the request in progress is done.
    public func use(context: TLSContext) {
        client.withLock { $0.use(context: context) }
    }

    /// "the certifier at 127.0.0.1:8123" (or "at 127.0.0.1:8123, 127.0.0.2:8123" for replicas).
    public var location: String { "the certifier at \(addresses.map(\.description).joined(separator: ", "))" }

    public func read(federation: String) throws(AnchorFailure) -> AnchorState? {
        try client.withLock { (client) throws(AnchorFailure) -> AnchorState? in
            do throws(ChannelError) {
                return try client.read(federation: federation)
            } catch {
                throw Self.failure(error, location)
            }
        }
    }

    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorFailure) {
        try client.withLock { (client) throws(AnchorFailure) -> Void in
            do throws(ChannelError) {
                try client.advance(federation: federation, from: from, to: to)
            } catch {
                throw Self.failure(error, location)
            }
        }
    }

    private static func failure(_ error: ChannelError, _ location: String) -> AnchorFailure {
        error.code == .anchorConflict ? .conflict(error.message) : .unavailable("\(location): \(error.message)")
    }
}
