package import OpenSSLKit
package import Policy

/// The one check of the peer at the other end of a TLS connection, on both sides: its certificate is
/// there and trusted, it is an admission certificate, and it names a role that may be on the other end.
///
/// A server and a client say the same refusal in their own words (`reasonForPeer`, `reasonAboutServer`).
package enum PeerCheck {
    /// Why a peer is refused.
    package enum Refusal: Error, Sendable, Equatable {
        /// It sent no certificate.
        case noCertificate
        /// Its certificate does not chain to the trusted root, or is not valid now; `reason` says why.
        case untrusted(String)
        /// Its trusted certificate is not an admission certificate; `reason` says why.
        case notAdmission(String)
        /// It is admitted as `role`, which is not among `allowed`.
        case roleNotAllowed(Role, allowed: Set<Role>)

        /// The reason a server gives the client it refuses, e.g. "your certificate names no role (...)";
        /// `server` names the server, e.g. "runtime".
        package func reasonForPeer(server: String) -> String {
            switch self {
            case .noCertificate: "no client certificate (this server admits only peers with an admission certificate)"
            case .untrusted(let reason), .notAdmission(let reason): "your certificate \(reason)"
            case .roleNotAllowed(let role, let allowed):
                "role \"\(role)\" may not connect to \(server) (allowed: \(allowed.sorted().map(\.rawValue).joined(separator: ", ")))"
            }
        }

        /// What a client found wrong with the server's certificate, to follow "its certificate " (or "your
        /// certificate "), e.g. "is missing".
        package var reasonAboutServer: String {
            switch self {
            case .noCertificate: "is missing"
            case .untrusted(let reason), .notAdmission(let reason): reason
            case .roleNotAllowed(let role, let allowed):
                "names the role \"\(role)\", expected \(allowed.sorted().map(\.rawValue).joined(separator: " or "))"
            }
        }
    }

    /// The identity of the peer with `verdict`, admitted in one of the roles `allowed` (nil: any role).
    package static func check(verdict: TLSPeerVerdict, allowed: Set<Role>?) throws(Refusal) -> PeerIdentity {
        let certificate: Certificate
        switch verdict {
        case .noCertificate: throw .noCertificate
        case .untrusted(let reason, _): throw .untrusted(reason)
        case .trusted(let trusted): certificate = trusted
        }
        let peer: PeerIdentity
        do {
            peer = try PeerIdentity(certificate: certificate)
        } catch {
            throw .notAdmission(error.message)
        }
        if let allowed, !allowed.contains(peer.role) {
            throw .roleNotAllowed(peer.role, allowed: allowed)
        }
        return peer
    }
}
