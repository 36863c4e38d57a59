public import Channel
public import OpenSSLKit
public import Protocol
import Synchronization

/// The freshness anchor at the certifier, reached with the runtime's admission certificate
/// (`anchor-read`, `anchor-advance`; docs/protocol.md). One connection, used by one request at a time.
public final class CertifierAnchor: FreshnessAnchor {
    private let client: Mutex<AnchorClient>
    private let endpoint: String
    private let host: String
    private let port: UInt16
    private let configuration: ChannelClient.Configuration

    /// The anchor at the certifier at `host:port`; `context` is the runtime's mutual-TLS client context.
    public init(host: String, port: UInt16, context: TLSContext, configuration: ChannelClient.Configuration = .init(readTimeout: .seconds(10))) {
        let client = AnchorClient(host: host, port: port, context: context, configuration: configuration)
        endpoint = client.endpoint
        self.client = Mutex(client)
        self.host = host
        self.port = port
        self.configuration = configuration
    }

    /// Reaches the certifier with `context` from the next request on (a renewed admission certificate):
    /// the connection made with the old one closes once the request in progress is done.
    public func use(context: TLSContext) {
        client.withLock { $0 = AnchorClient(host: host, port: port, context: context, configuration: configuration) }
    }

    /// "the certifier at 127.0.0.1:8123".
    public var location: String { "the certifier at \(endpoint)" }

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
