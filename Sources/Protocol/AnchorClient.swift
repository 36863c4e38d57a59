public import Channel
internal import ByteKit
public import OpenSSLKit
import Policy

/// The runtime's client of the certifier's anchor requests (`anchor-read`, `anchor-advance`): it presents
/// the runtime's admission certificate and checks that the server's names the certifier role.
///
/// It keeps one connection and connects again when the certifier closed it in between; given several
/// certifier replicas, it moves to the next when one cannot be reached or answers `unavailable` (both
/// requests may be sent again: an advance that is already there is acknowledged). Not `Sendable`: one
/// thread at a time uses it.
public final class AnchorClient: ReplicaClient {
    /// The connection to the certifier's replicas.
    public let replicas: ReconnectingClient

    /// A client of the certifier replicas at `addresses`, tried in order, presenting the runtime's
    /// admission certificate in `context`.
    public init(addresses: [ServerAddress], context: TLSContext, configuration: ChannelClient.Configuration = .init()) {
        replicas = ReconnectingClient(
            addresses: addresses, context: ReplaceableContext(context), expectedRoles: [.certifier], configuration: configuration)
    }

    /// Reaches the certifier with `context` from the next connection on (a renewed admission certificate).
    public func use(context: TLSContext) {
        replicas.context.replace(with: context)
        replicas.close()
    }

    /// The anchor of `federation`, or nil if the certifier holds none yet.
    public func read(federation: String) throws(ChannelError) -> AnchorState? {
        do {
            return try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
                try client.request(AnchorReadRequest(federation: federation), expecting: AnchorMessage.self, onSent: sent).anchor
            }
        } catch where error.code == .noAnchor {
            return nil
        }
    }

    /// Advances the anchor of `federation` from `from` (nil: creates it) to `to`; throws `anchor-conflict`
    /// naming what the certifier holds if it holds something else than `from`.
    public func advance(federation: String, from: AnchorState?, to: AnchorState) throws(ChannelError) {
        // The certifier answers an advance to the anchor it already holds with that anchor, so a resend is safe.
        let stored = try replicas.exchange(.idempotent) { (client, sent) throws(ChannelError) in
            try client.request(AnchorAdvanceRequest(federation: federation, from: from, to: to), expecting: AnchorMessage.self, onSent: sent).anchor
        }
        guard stored == to else {
            throw ChannelError(.anchorConflict, "the certifier answered the advance to \(to) with \(stored)")
        }
    }
}
