/// What one side of a TLS connection presents: its certificate, the matching private key, and the
/// certificates between it and the root, if any.
public struct TLSIdentity: Sendable {
    /// The certificate sent to the peer.
    public let certificate: Certificate
    /// The key whose public half is in `certificate`.
    public let privateKey: ECPrivateKey
    /// Intermediate certificates sent after `certificate` (empty when the root issued it directly).
    public let chain: [Certificate]

    /// An identity of `certificate` and its `privateKey`, with optional intermediates.
    public init(certificate: Certificate, privateKey: ECPrivateKey, chain: [Certificate] = []) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.chain = chain
    }
}
