/// What a TLS connection found out about the peer's certificate once the handshake finished.
///
/// The handshake never stops for an untrusted peer, so the layer above can tell the peer why it is
/// refused before it closes; it must never serve a request from a peer that is not `.trusted`.
public enum TLSPeerVerdict: Sendable, Equatable, CustomStringConvertible {
    /// The certificate chains to the trusted root and is valid now.
    case trusted(Certificate)
    /// The peer sent a certificate that does not pass; `reason` says why in words.
    case untrusted(reason: String, certificate: Certificate?)
    /// The peer sent no certificate (a client that has none, or a server that was not asked for one).
    case noCertificate

    /// The trusted certificate, or nil.
    public var trustedCertificate: Certificate? {
        if case .trusted(let certificate) = self { return certificate }
        return nil
    }

    /// "trusted ...", "untrusted: reason" or "no certificate".
    public var description: String {
        switch self {
        case .trusted(let certificate): "trusted \(certificate)"
        case .untrusted(let reason, _): "untrusted: \(reason)"
        case .noCertificate: "no certificate"
        }
    }
}
