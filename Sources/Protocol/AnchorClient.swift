public import Channel
internal import ByteKit
public import OpenSSLKit
import Policy

/// The runtime's client of the certifier's anchor requests (`anchor-read`, `anchor-advance`): it presents
/// the runtime's admission certificate and checks that the server's names the certifier role.
///
/// It keeps one connection and connects again when the certifier closed it in between. Not `Sendable`:
/// one thread at a time uses it.
public final class AnchorClient {
    /// The certifier's host.
    public let host: String
    /// The certifier's port.
    public let port: UInt16
    private let context: TLSContext
    private let configuration: ChannelClient.Configuration
    private var client: ChannelClient?

    /// A client of the certifier at `host:port` presenting the runtime's admission certificate in `context`.
    public init(host: String, port: UInt16, context: TLSContext, configuration: ChannelClient.Configuration = .init()) {
        self.host = host
        self.port = port
        self.context = context
        self.configuration = configuration
    }

    deinit {
        client?.close()
    }

    /// "127.0.0.1:8123".
    public var endpoint: String { hostPortText(host: host, port: port) }

    /// The anchor of `federation`, or nil if the certifier holds none yet.
    public func read(federation: String) throws(ChannelError) -> AnchorState? {
        do {
            return try exchange { (client) throws(ChannelError) in
                try client.request(AnchorReadRequest(federation: federation), expecting: AnchorMessage.self).anchor
            }
        } catch where error.code == .noAnchor {
            return nil
        }
    }

    /// Advances the anchor of `federation` from `from` (nil: creates it) to `to`; throws `anchor-conflict`
    /// naming what the certifier holds if it holds something else than `from`.
    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(ChannelError) {
        let stored = try exchange { (client) throws(ChannelError) in
            try client.request(AnchorAdvanceRequest(federation: federation, from: from, to: to), expecting: AnchorMessage.self).anchor
        }
        guard stored == to else {
            throw ChannelError(.anchorConflict, "the certifier answered the advance to \(to) with \(stored)")
        }
    }

    /// Closes the connection, if open.
    public func close() {
        client?.close()
        client = nil
    }

    private func connection() throws(ChannelError) -> ChannelClient {
        if let client, !client.connection.hasPendingInput { return client }
        close()
        let fresh = try ChannelClient.connect(
            host: host, port: port, context: context, expectedRoles: [.certifier], configuration: configuration)
        client = fresh
        return fresh
    }

    private func exchange<Answer>(_ body: (ChannelClient) throws(ChannelError) -> Answer) throws(ChannelError) -> Answer {
        let client = try connection()
        do {
            return try body(client)
        } catch {
            close()
            throw error
        }
    }
}
