package import OpenSSLKit
import Synchronization

/// Frames over one TLS connection: send and receive messages, report errors to the peer, close cleanly.
///
/// Not `Sendable`: one thread at a time uses it, like the `TLSConnection` it owns.
package final class FramedConnection {
    /// The socket under the TLS connection.
    package let socket: Socket
    /// The TLS connection, after its handshake.
    package let tls: TLSConnection
    /// The frame format and size limit.
    package let codec: FrameCodec
    /// A number no other connection of this process has, so a server can keep per-connection state
    /// (the certifier's nonce) without relying on object addresses, which are reused.
    package let id: UInt64 = FramedConnection.nextID.add(1, ordering: .relaxed).newValue
    /// The peer's identity, once its certificate was found trusted (nil without mutual TLS).
    package internal(set) var peer: PeerIdentity?
    /// How long `close()` waits for the peer to close after this side has (see `Socket.finishGracefully`).
    package var lingerTimeout: Duration = .seconds(1)
    /// How long one read may wait (as last set with `setTimeouts`; zero: forever).
    package private(set) var readTimeout: Duration = .zero
    /// How long one write may wait (as last set with `setTimeouts`; zero: forever).
    package private(set) var writeTimeout: Duration = .zero
    private var isClosed = false
    private static let nextID = Atomic<UInt64>(0)

    /// Frames over `tls`, whose handshake is done, on `socket`.
    package init(socket: Socket, tls: TLSConnection, codec: FrameCodec = FrameCodec()) {
        self.socket = socket
        self.tls = tls
        self.codec = codec
    }

    deinit {
        close()
    }

    /// Runs the TLS handshake on `socket` (within `handshakeTimeout`) and returns the framed connection
    /// with the read and write timeouts set; `peer` names the other side in errors.
    package static func handshake(
        over socket: Socket, context: TLSContext, peer: String, handshakeTimeout: Duration,
        readTimeout: Duration, writeTimeout: Duration, maxFrameSize: Int = FrameCodec.defaultMaxFrameSize
    ) throws(ChannelError) -> FramedConnection {
        try socket.setTimeouts(receive: handshakeTimeout, send: handshakeTimeout)
        // Each read is bounded by the socket timeout; the deadline bounds the whole handshake.
        socket.setDeadline(in: handshakeTimeout)
        defer { socket.deadline = nil }
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, fileDescriptor: socket.fileDescriptor)
            try tls.handshake()
        } catch {
            throw channelError(error, "TLS handshake with \(peer)", timeout: handshakeTimeout, pastDeadline: socket.isPastDeadline)
        }
        let connection = FramedConnection(socket: socket, tls: tls, codec: FrameCodec(maxFrameSize: maxFrameSize))
        try connection.setTimeouts(read: readTimeout, write: writeTimeout)
        return connection
    }

    /// Whether something from the peer is waiting to be read (a frame, or its close), without blocking.
    package var hasPendingInput: Bool {
        tls.hasBufferedInput || socket.isReadable
    }

    /// The peer's address, e.g. "127.0.0.1:51234".
    package var peerAddress: String { socket.remoteAddress }

    /// Sets how long one read and one write may wait.
    package func setTimeouts(read: Duration, write: Duration) throws(ChannelError) {
        try socket.setTimeouts(receive: read, send: write)
        readTimeout = read
        writeTimeout = write
    }

    /// Sends one message as one frame.
    package func send(_ message: Message) throws(ChannelError) {
        let frame = try codec.encode(message)
        socket.setDeadline(in: writeTimeout)
        defer { socket.deadline = nil }
        do {
            try tls.write(frame)
        } catch {
            throw failure(error, "sending \"\(message.type)\" to \(peerAddress)", timeout: writeTimeout)
        }
    }

    /// Receives the next message; throws `.closed` if the peer closed the connection instead.
    package func receive() throws(ChannelError) -> Message {
        guard let message = try receiveIfAny() else {
            throw ChannelError(kind: .closed, code: .internal, message: "\(peerAddress) closed the connection")
        }
        return message
    }

    /// Receives the next message, or nil if the peer closed the connection between frames.
    ///
    /// A frame over the size limit is refused (`malformed-frame`) as soon as its length is read. The
    /// wait for a frame may last the read timeout; once its first byte is in, the whole frame must
    /// arrive within the read timeout too (the socket's deadline), however the peer spaces its bytes.
    package func receiveIfAny() throws(ChannelError) -> Message? {
        var header = [UInt8](repeating: 0, count: FrameCodec.headerSize)
        var filled = 0
        defer { socket.deadline = nil }
        do throws(TLSError) {
            while filled < header.count {
                let outcome = header.withUnsafeMutableBytes { buffer in
                    Result { () throws(TLSError) in try tls.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])) }
                }
                let count = try outcome.get()
                if count == 0 {
                    if filled == 0 { return nil }
                    throw TLSError(.closed, "the peer closed the connection inside a frame header")
                }
                if filled == 0 { socket.setDeadline(in: readTimeout) }
                filled += count
            }
        } catch {
            throw failure(error, "waiting for a frame from \(peerAddress)", timeout: readTimeout)
        }
        let length = try codec.bodyLength(header: header)
        var body: [UInt8] = []
        do {
            // Grown as the bytes arrive, so a peer that announces a large frame and sends little of it
            // holds little memory.
            while body.count < length {
                body += try tls.readExactly(min(length - body.count, max(body.count, Self.firstBodyChunk)))
            }
        } catch {
            throw failure(error, "receiving a \(length)-byte frame from \(peerAddress)", timeout: readTimeout)
        }
        return try codec.decode(body: body)
    }

    /// Sends an `error` frame (if the connection still can), then closes.
    package func sendError(_ code: ErrorCode, _ message: String) {
        if !isClosed { try? send(ErrorMessage(code, message).frame) }
        close()
    }

    /// Sends close_notify, ends writing, waits briefly for the peer to close, and releases nothing else:
    /// the socket closes when this connection goes away. Calling it again does nothing.
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        tls.close()
        socket.finishGracefully(timeout: lingerTimeout)
    }

    /// The most of a frame body read before more of it has arrived: 64 KiB.
    static let firstBodyChunk = 64 << 10

    /// A TLS failure of this connection as a channel error (see `channelError`).
    private func failure(_ error: TLSError, _ activity: String, timeout: Duration) -> ChannelError {
        Self.channelError(error, activity, timeout: timeout, pastDeadline: socket.isPastDeadline)
    }

    /// A TLS failure as a channel error, saying what this side was doing and, for a timeout, how long it
    /// waited. Past the socket's deadline, whatever the failure (the watchdog shut the socket down), it is
    /// a timeout: the peer took longer than `timeout` for the whole operation.
    static func channelError(_ error: TLSError, _ activity: String, timeout: Duration, pastDeadline: Bool) -> ChannelError {
        if pastDeadline {
            return ChannelError(kind: .timeout, code: .timeout, message: "\(activity): took longer than \(timeout)", cause: error)
        }
        return switch error.kind {
        case .closed: ChannelError(kind: .closed, code: .internal, message: "\(activity): \(error.message)", cause: error)
        case .timeout: ChannelError(kind: .timeout, code: .timeout, message: "\(activity): timed out after \(timeout)", cause: error)
        case .handshakeFailed, .ioFailed: ChannelError(kind: .transport, code: .internal, message: "\(activity): \(error.message)", cause: error)
        }
    }
}
