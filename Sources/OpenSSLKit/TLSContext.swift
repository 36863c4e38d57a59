internal import COpenSSL

/// The TLS 1.3 settings that connections share: which side, what this side presents, and the one root
/// that peers must chain to.
///
/// `@unchecked Sendable` is safe: the `SSL_CTX` is configured completely in `init` and never changed
/// after; OpenSSL lets any number of threads make connections from one finished context.
public final class TLSContext: @unchecked Sendable {
    /// Which end of the connection this context is for.
    public enum Side: Sendable, Equatable {
        /// Accepts connections and presents a certificate.
        case server
        /// Connects, and checks the server's certificate.
        case client
    }

    /// Which end of the connection this context is for.
    public let side: Side
    /// The certificate and key this side presents, if any.
    public let identity: TLSIdentity?
    /// Checks peers against the one trusted root, and words the reason when they fail.
    public let verifier: CertificateVerifier
    /// Whether a server asks clients for a certificate (mutual TLS); always true for a client's view of servers.
    public let requestsPeerCertificate: Bool
    let pointer: OpaquePointer

    /// Key exchange groups in order of preference: X25519 is the cheapest per handshake.
    static let groups: StaticString = "X25519:P-256:P-384"

    /// A TLS 1.3-only context.
    ///
    /// - Parameters:
    ///   - side: server or client.
    ///   - trustedRoot: the only certificate that peers' certificates may chain to (no system CAs, ever).
    ///   - rootDescription: how refusal reasons name the root, e.g. "this domain's policy key".
    ///   - identity: what this side presents; a server needs one, a client without one can still connect
    ///     to a server that does not insist.
    ///   - requestPeerCertificate: for a server, ask clients for a certificate (mutual TLS). A client
    ///     always checks the server.
    ///
    /// Peer verification never aborts the handshake: a verify callback accepts every chain, and the
    /// connection's `peerVerdict` reports OpenSSL's verdict afterwards, so that the layer above can tell
    /// a refused peer why over the finished connection. Session tickets and resumption are off, so every
    /// connection checks the peer's certificate afresh (an expired admission cannot ride on a ticket).
    public init(
        side: Side, trustedRoot: Certificate, rootDescription: String = "the trusted root",
        identity: TLSIdentity? = nil, requestPeerCertificate: Bool = false
    ) throws(OpenSSLError) {
        let operation = "making a TLS \(side) context"
        guard side == .client || identity != nil else {
            throw OpenSSLError(operation, reason: "a server needs a certificate and private key")
        }
        let verifier = try CertificateVerifier(trustedRoot: trustedRoot, rootDescription: rootDescription)
        OpenSSLError.clearQueue()
        guard let pointer = SSL_CTX_new(side == .server ? TLS_server_method() : TLS_client_method()) else {
            throw OpenSSLError.draining(operation)
        }
        self.pointer = pointer
        self.side = side
        self.identity = identity
        self.verifier = verifier
        self.requestsPeerCertificate = side == .client || requestPeerCertificate
        try configure(operation)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    private func configure(_ operation: String) throws(OpenSSLError) {
        try OpenSSLError.check(COpenSSL_SSL_CTX_set_min_proto_version(pointer, TLS1_3_VERSION), operation)
        try OpenSSLError.check(COpenSSL_SSL_CTX_set_max_proto_version(pointer, TLS1_3_VERSION), operation)
        try OpenSSLError.check(COpenSSL_SSL_CTX_set1_groups_list(pointer, Self.groups.cString), operation)
        // A peer that vanishes without close_notify is reported as closed: frames carry their own
        // lengths, so a truncated one is detected anyway.
        SSL_CTX_set_options(pointer, COpenSSL_SSL_OP_NO_TICKET() | COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF())
        try OpenSSLError.check(SSL_CTX_set_num_tickets(pointer, 0), operation)
        _ = COpenSSL_SSL_CTX_set_session_cache_mode(pointer, Int(SSL_SESS_CACHE_OFF))
        // No automatic chain: the peer already holds the root, so sending it would only add bytes.
        _ = COpenSSL_SSL_CTX_set_mode(
            pointer,
            Int(SSL_MODE_ENABLE_PARTIAL_WRITE) | Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) | Int(SSL_MODE_NO_AUTO_CHAIN))

        // The context takes its own reference to the verifier's store, which holds only the root.
        try OpenSSLError.check(X509_STORE_up_ref(verifier.store), operation)
        SSL_CTX_set_cert_store(pointer, verifier.store)
        if requestsPeerCertificate {
            // The callback captures nothing and accepts every chain; `TLSConnection.peerVerdict` reads the
            // result that OpenSSL recorded, so a refused peer still gets a finished connection to hear why.
            SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER, { _, _ in 1 })
            if side == .server {
                try OpenSSLError.check(SSL_CTX_add_client_CA(pointer, verifier.trustedRoot.x509), operation)
            }
        } else {
            SSL_CTX_set_verify(pointer, SSL_VERIFY_NONE, nil)
        }

        if let identity {
            guard (try? identity.certificate.publicKey) == identity.privateKey.publicKey else {
                throw OpenSSLError(operation, reason: "the private key does not match \(identity.certificate)")
            }
            try OpenSSLError.check(SSL_CTX_use_certificate(pointer, identity.certificate.x509), operation)
            try OpenSSLError.check(SSL_CTX_use_PrivateKey(pointer, identity.privateKey.pkey), operation)
            for intermediate in identity.chain {
                try OpenSSLError.check(COpenSSL_SSL_CTX_add1_chain_cert(pointer, intermediate.x509), operation)
            }
        }
    }
}
