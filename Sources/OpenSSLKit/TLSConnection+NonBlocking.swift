internal import COpenSSL

import Glibc

/// Driving a `TLSConnection` over a non-blocking socket, one step per readiness event: an event loop
/// calls these when epoll says the socket is readable or writable, and each returns what it needs next
/// instead of blocking a thread.
extension TLSConnection {
    /// What a non-blocking call did, or what it waits for.
    public enum Progress: Sendable, Equatable {
        /// The handshake finished, or this many bytes were read or written.
        case done(Int)
        /// Nothing more until the socket is readable.
        case wantsRead
        /// Nothing more until the socket is writable.
        case wantsWrite
        /// The peer closed the connection (only from `readSome`).
        case closed
    }

    /// Lets OpenSSL free its read and write buffers whenever they are empty, so that an idle connection
    /// holds kilobytes rather than two 16 KiB records (`SSL_MODE_RELEASE_BUFFERS`). Call before the handshake.
    public func releaseBuffersWhenIdle() {
        _ = SSL_ctrl(ssl, SSL_CTRL_MODE, Int(SSL_MODE_RELEASE_BUFFERS), nil)
    }

    /// Takes the handshake as far as the bytes that arrived allow; `.done(0)` once it is finished.
    public func continueHandshake() throws(TLSError) -> Progress {
        while true {
            OpenSSLError.clearQueue()
            errno = 0
            let result = SSL_do_handshake(ssl)
            if result == 1 {
                handshakeDone = true
                return .done(0)
            }
            if let wait = wanted(result) { return wait }
            if try !shouldRetry(result, during: "the TLS handshake") { continue }
        }
    }

    /// Reads what is available, up to `buffer.count` bytes, without waiting.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Progress {
        guard buffer.count > 0 else { return .done(0) }
        if closed { throw TLSError(.closed, "the connection was closed by this side") }
        if broken { throw TLSError(.ioFailed, "the connection failed earlier and cannot be used") }
        while true {
            OpenSSLError.clearQueue()
            errno = 0
            var count = 0
            let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
            if result == 1 { return .done(count) }
            if let wait = wanted(result) { return wait }
            do throws(TLSError) {
                if try !shouldRetry(result, during: "reading") { continue }
            } catch where error.kind == .closed {
                return .closed
            }
        }
    }

    /// Writes as much of `buffer` as the socket takes now (the context allows partial writes); a call
    /// that wanted to wait must be repeated with the same bytes, which may have moved.
    public func writeSome(_ buffer: UnsafeRawBufferPointer) throws(TLSError) -> Progress {
        guard buffer.count > 0 else { return .done(0) }
        if closed { throw TLSError(.closed, "the connection was closed by this side") }
        if broken { throw TLSError(.ioFailed, "the connection failed earlier and cannot be used") }
        while true {
            OpenSSLError.clearQueue()
            errno = 0
            var count = 0
            let result = SSL_write_ex(ssl, buffer.baseAddress, buffer.count, &count)
            if result == 1 { return .done(count) }
            if let wait = wanted(result) { return wait }
            if try !shouldRetry(result, during: "writing") { continue }
        }
    }

    /// What a failed call waits for, or nil if it failed for another reason.
    private func wanted(_ result: Int32) -> Progress? {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: .wantsRead
        case SSL_ERROR_WANT_WRITE: .wantsWrite
        default: nil
        }
    }
}
