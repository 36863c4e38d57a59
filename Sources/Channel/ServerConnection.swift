internal import OpenSSLKit

/// One connection's state inside the server's event loop: its socket and TLS, the stage it is in and
/// that stage's deadline, the frame it is receiving, and the bytes waiting to be sent.
///
/// Touched by the loop's thread only; handlers see its `ServedConnection`.
final class ServerConnection {
    /// Where a connection is in its life; each stage has its own deadline.
    enum Stage: Equatable {
        /// The TLS handshake (bounded by the handshake timeout).
        case handshake
        /// Between requests (bounded by the first-request or the read timeout).
        case idle
        /// Some bytes of a frame are in; the whole frame is bounded by the read timeout.
        case receiving
        /// A handler is working on a request: nothing more is read until it is done.
        case handling
        /// Sending what is queued, then close_notify and FIN.
        case closing
        /// Done writing; reading and discarding what the peer still sends until it closes.
        case lingering
    }

    let id: UInt64
    let socket: Socket
    let tls: TLSConnection
    /// "127.0.0.1:51234".
    let address: String
    /// "127.0.0.1": what the per-address limit counts.
    let host: String
    let accepted: ContinuousClock.Instant
    var stage = Stage.handshake
    /// When the current stage must be over (nil: no limit, as while a handler works).
    var deadline: ContinuousClock.Instant?
    /// When a connection without a certificate must be done altogether (nil: no limit).
    var lifetimeEnd: ContinuousClock.Instant?
    /// When it last finished a request, or was admitted: the oldest idle one gives way when places are short.
    var idleSince: ContinuousClock.Instant
    /// What the handshake or a read waits for next.
    var wantsWrite = false
    var peer: PeerIdentity?
    var served: ServedConnection?
    var frame: FrameAssembler
    /// Bytes of the frame that the server's budget counts for this connection.
    var heldBytes = 0
    /// Frames waiting to be written, and how much of the first went out.
    var output: [[UInt8]] = []
    var outputOffset = 0
    /// When queued output must have left (the write timeout).
    var writeDeadline: ContinuousClock.Instant?
    /// Whether it counts against the per-address limit (until its certificate is admitted).
    var countedForAddress = true
    /// The certificate and platform keys it counts against, once admitted.
    var certificateKey: String?
    var platformKey: String?
    /// Whether the peer closed its side while a handler worked.
    var peerClosed = false
    /// Requests handed to the handler so far.
    var requests = 0
    /// Bytes discarded while lingering.
    var discarded = 0

    init(id: UInt64, socket: Socket, tls: TLSConnection, codec: FrameCodec, now: ContinuousClock.Instant) {
        self.id = id
        self.socket = socket
        self.tls = tls
        address = socket.remoteAddress
        host = Self.host(of: socket.remoteAddress)
        accepted = now
        idleSince = now
        frame = FrameAssembler(codec: codec)
    }

    /// Whether anything is waiting to be written.
    var hasOutput: Bool { !output.isEmpty }

    /// What epoll should watch this connection for now.
    var interest: EventPoll.Interest {
        var interest: EventPoll.Interest = hasOutput ? [.write] : []
        switch stage {
        case .handshake: interest.insert(wantsWrite ? .write : .read)
        case .idle, .receiving: interest.insert(wantsWrite ? .write : .read)
        case .handling: if !peerClosed { interest.insert(.peerClosed) }
        case .closing: break
        case .lingering: interest.insert(.read)
        }
        return interest
    }

    /// The address without its port: "127.0.0.1" of "127.0.0.1:51234", "::1" of "[::1]:51234".
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        let host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { return String(host.dropFirst().dropLast()) }
        return String(host)
    }
}
