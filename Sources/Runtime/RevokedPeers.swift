import ByteKit
import Channel
import Policy
import Synchronization

/// The revocation list a runtime enforces: a request from a peer whose admission certificate it lists
/// is refused (its open connections are closed when the list arrives: `RuntimeServer.revoke`).
final class RevokedPeers: Sendable {
    private let list = Mutex(RevocationList())

    /// Puts `list` in force.
    func update(_ list: RevocationList) {
        self.list.withLock { $0 = list }
    }

    /// Whether `peer`'s certificate is revoked.
    func isRevoked(_ peer: PeerIdentity) -> Bool {
        list.withLock { $0.isRevoked(serial: peer.serialNumber) }
    }

    /// Throws `not-authorized` if `peer`'s certificate is revoked.
    func check(_ peer: PeerIdentity?) throws(ChannelError) {
        guard let peer, isRevoked(peer) else { return }
        throw ChannelError(
            kind: .refused, code: .notAuthorized,
            message: "the admission certificate of this \(peer.role) (serial \(Hex.short(peer.serialNumber))) is revoked in this domain; attest again")
    }
}
