internal import ByteKit
import Glibc

/// Opens TCP connections with a timeout.
package enum TCPConnector {
    /// A connected socket to `host:port` (with `TCP_NODELAY`), trying each address the host resolves to;
    /// from the local address `source` if given (the system picks a port), so that a bench on loopback can
    /// spread its connections over 127.0.0.2, 127.0.0.3, ... (about 28,000 ports each).
    package static func connect(host: String, port: UInt16, timeout: Duration, from source: String? = nil) throws(ChannelError) -> Socket {
        let local = try source.map { (source) throws(ChannelError) in try SocketAddress.resolve(host: source, port: 0) } ?? []
        var failures: [String] = []
        for address in try SocketAddress.resolve(host: host, port: port) {
            let bound = local.first { $0.family == address.family }
            if let source, bound == nil {
                failures.append("\(address.text): \(source) is not an address of its family")
                continue
            }
            do {
                return try connect(to: address, from: bound, timeout: timeout)
            } catch {
                failures.append(error.message)
            }
        }
        let reason = failures.isEmpty ? "no address" : failures.joined(separator: "; ")
        throw ChannelError(kind: .transport, code: .internal, message: "cannot connect to \(hostPortText(host: host, port: port)): \(reason)")
    }

    private static func connect(to address: SocketAddress, from local: SocketAddress?, timeout: Duration) throws(ChannelError) -> Socket {
        let failure = { (step: String) in
            ChannelError(kind: .transport, code: .internal, message: "\(address.text): \(step)")
        }
        let raw = Glibc.socket(
            address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard raw >= 0 else { throw failure(SocketDescriptor.lastError()) }
        let socket = Socket(adopting: SocketDescriptor(rawValue: raw), remoteAddress: address.text)
        if let local, local.withPointer({ Glibc.bind(raw, $0, $1) }) != 0 {
            throw failure("binding to \(local.text): \(SocketDescriptor.lastError())")
        }
        // Non-blocking so that the wait for the handshake can be bounded by poll.
        if address.withPointer({ Glibc.connect(raw, $0, $1) }) != 0 {
            guard errno == EINPROGRESS || errno == EINTR else { throw failure(SocketDescriptor.lastError()) }
            var descriptor = pollfd(fd: raw, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(clamping: max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
            let ready = SocketDescriptor.retryingOnInterrupt { poll(&descriptor, 1, milliseconds) }
            guard ready > 0 else { throw failure(ready == 0 ? "timed out after \(timeout)" : SocketDescriptor.lastError()) }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(raw, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw failure(String(cString: strerror(error))) }
        }
        let flags = fcntl(raw, F_GETFL)
        guard flags >= 0, fcntl(raw, F_SETFL, flags & ~Int32(O_NONBLOCK)) == 0 else {
            throw failure(SocketDescriptor.lastError())
        }
        try socket.setNoDelay()
        return socket
    }
}
