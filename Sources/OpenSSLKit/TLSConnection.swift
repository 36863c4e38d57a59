internal import COpenSSL

import Glibc

/// One TLS 1.3 connection over a connected, blocking socket.
///
/// Not `Sendable`: the `SSL` holds per-connection state that only one thread at a time may touch.
/// The socket stays the caller's: this class never closes it, and the caller must keep it open for as
/// long as the connection is used. Timeouts come from the socket (`SO_RCVTIMEO`, `SO_SNDTIMEO`): when
/// one fires, the call throws a `.timeout` error. OpenSSL writes with `write(2)`, so the process must
/// ignore SIGPIPE (Channel's `Socket` sees to it) or a peer that closes early kills it.
public final class TLSConnection {
    /// The settings this connection was made with.
    public let context: TLSContext
    let ssl: OpaquePointer
    var handshakeDone = false
    /// Set after a fatal error, after which OpenSSL forbids even a shutdown.
    var broken = false
    var closed = false
    private var cachedVerdict: TLSPeerVerdict?

    /// A connection over the connected socket `fileDescriptor`; call `handshake()` next.
    public init(context: TLSContext, fileDescriptor: Int32) throws(TLSError) {
        OpenSSLError.clearQueue()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSError(.ioFailed, "could not make a TLS connection: \(OpenSSLError.draining("SSL_new"))")
        }
        // The socket BIO does not close the descriptor when the SSL is freed (BIO_NOCLOSE).
        guard SSL_set_fd(ssl, fileDescriptor) == 1 else {
            SSL_free(ssl)
            throw TLSError(.ioFailed, "could not attach the socket: \(OpenSSLError.draining("SSL_set_fd"))")
        }
        if context.side == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.context = context
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
    }

    /// Runs the TLS 1.3 handshake. An untrusted peer certificate does not fail it: read `peerVerdict`.
    public func handshake() throws(TLSError) {
        while true {
            OpenSSLError.clearQueue()
            errno = 0
            let result = SSL_do_handshake(ssl)
            if result == 1 { break }
            if try !shouldRetry(result, during: "the TLS handshake") { continue }
        }
        handshakeDone = true
    }

    /// The verdict on the peer's certificate, known once the handshake is done.
    ///
    /// OpenSSL's own chain check (`SSL_get_verify_result`) decides; for an untrusted peer the reason
    /// comes from checking the chain again with the context's verifier, which stops at the first
    /// problem (OpenSSL's result after an accepting callback is only the last one it saw).
    public var peerVerdict: TLSPeerVerdict {
        if let cachedVerdict { return cachedVerdict }
        let verdict = computeVerdict()
        if handshakeDone { cachedVerdict = verdict }
        return verdict
    }

    /// The negotiated protocol and cipher suite, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs.
    public var negotiated: String {
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) }
        return cipher.map { "\(version) \($0)" } ?? version
    }

    /// Whether decrypted or undecrypted bytes from the peer are already inside OpenSSL, so that a read
    /// could return without touching the socket.
    public var hasBufferedInput: Bool {
        handshakeDone && SSL_has_pending(ssl) == 1
    }

    /// Reads what is available, up to `buffer.count` bytes; returns 0 when the peer has closed the connection.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        guard buffer.count > 0 else { return 0 }
        try checkUsable()
        while true {
            OpenSSLError.clearQueue()
            errno = 0
            var count = 0
            let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
            if result == 1 { return count }
            do throws(TLSError) {
                if try !shouldRetry(result, during: "reading") { continue }
            } catch where error.kind == .closed {
                return 0
            }
        }
    }

    /// Reads exactly `count` bytes; throws `.closed` if the peer closes first.
    public func readExactly(_ count: Int) throws(TLSError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let outcome = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(TLSError) in try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) }
            }
            let got = try outcome.get()
            if got == 0 {
                throw TLSError(.closed, "the peer closed the connection after \(filled) of \(count) bytes")
            }
            filled += got
        }
        return bytes
    }

    /// Writes all of `bytes`, however many calls the socket needs.
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(TLSError) in try write(buffer) } }.get()
    }

    /// Writes all of `buffer`, however many calls the socket needs.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(TLSError) {
        try checkUsable()
        var sent = 0
        while sent < buffer.count {
            OpenSSLError.clearQueue()
            errno = 0
            var count = 0
            let result = SSL_write_ex(ssl, buffer.baseAddress! + sent, buffer.count - sent, &count)
            if result == 1 {
                sent += count
                continue
            }
            _ = try shouldRetry(result, during: "writing")
        }
    }

    /// Sends close_notify once (without waiting for the peer's), unless the connection already failed.
    /// The socket stays open; its owner closes it.
    public func close() {
        guard !closed else { return }
        closed = true
        guard handshakeDone, !broken else { return }
        OpenSSLError.clearQueue()
        errno = 0
        if SSL_shutdown(ssl) < 0 { OpenSSLError.clearQueue() }
    }

    private func checkUsable() throws(TLSError) {
        if closed { throw TLSError(.closed, "the connection was closed by this side") }
        if broken { throw TLSError(.ioFailed, "the connection failed earlier and cannot be used") }
        if !handshakeDone { throw TLSError(.ioFailed, "the TLS handshake has not been done") }
    }

    /// Classifies a failed call: returns false when it should simply be repeated (a signal interrupted
    /// it), and throws otherwise.
    func shouldRetry(_ result: Int32, during activity: String) throws(TLSError) -> Bool {
        let savedErrno = errno
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_ZERO_RETURN:
            throw TLSError(.closed, "the peer closed the connection")
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            // A blocking socket only wants more when a timeout fired or a signal interrupted the call.
            if savedErrno == EINTR { return false }
            throw TLSError(.timeout, "timed out \(activity)")
        case SSL_ERROR_SYSCALL:
            broken = true
            if savedErrno == EAGAIN || savedErrno == EWOULDBLOCK {
                throw TLSError(.timeout, "timed out \(activity)")
            }
            if savedErrno == 0 || savedErrno == ECONNRESET || savedErrno == EPIPE {
                let how = savedErrno == 0 ? "closed" : "reset"
                throw TLSError(.closed, "the peer \(how) the connection during \(activity)")
            }
            throw TLSError(.ioFailed, "\(activity) failed: \(String(cString: strerror(savedErrno)))")
        default:
            broken = true
            let reasons = OpenSSLError.draining(activity).reasons
            if reasons.contains(where: { $0.hasPrefix("unexpected eof") }) {
                throw TLSError(.closed, "the peer closed the connection during \(activity)")
            }
            let reason = reasons.isEmpty ? "error \(code)" : reasons.joined(separator: "; ")
            if !handshakeDone { throw TLSError(.handshakeFailed, "TLS handshake failed: \(reason)") }
            throw TLSError(.ioFailed, "\(activity) failed: \(reason)")
        }
    }

    private func computeVerdict() -> TLSPeerVerdict {
        guard let peer = SSL_get0_peer_certificate(ssl) else { return .noCertificate }
        guard let certificate = try? Certificate(borrowing: peer, "reading the peer certificate") else {
            return .untrusted(reason: "its certificate could not be read", certificate: nil)
        }
        let code = Int32(SSL_get_verify_result(ssl))
        if code == X509_V_OK { return .trusted(certificate) }
        let verdict = context.verifier.verify(certificate, intermediates: peerIntermediates(excluding: certificate))
        if case .untrusted(let reason) = verdict { return .untrusted(reason: reason, certificate: certificate) }
        // The verifier found nothing wrong, so OpenSSL's objection is one it does not check (such as the
        // certificate's purpose): give OpenSSL's reason.
        return .untrusted(reason: context.verifier.reason(code: code, certificate: certificate), certificate: certificate)
    }

    /// The other certificates the peer sent (a server's list includes its own; a client's does not).
    private func peerIntermediates(excluding leaf: Certificate) -> [Certificate] {
        guard let stack = SSL_get_peer_cert_chain(ssl) else { return [] }
        return (0..<COpenSSL_sk_X509_num(stack)).compactMap { index in
            COpenSSL_sk_X509_value(stack, index).flatMap { try? Certificate(borrowing: $0, "reading the peer chain") }
        }.filter { $0 != leaf }
    }
}
