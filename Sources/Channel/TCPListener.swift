internal import ByteKit
import Glibc

/// A listening TCP socket: `SO_REUSEADDR`, a backlog deep enough for a thousand clients connecting at once.
package final class TCPListener: Sendable {
    /// Pending connections the kernel may queue (it caps this at `net.core.somaxconn`).
    package static let defaultBacklog: Int32 = 4096

    private let socket: Socket
    /// The port it listens on (the OS-picked one when asked for port 0).
    package let port: UInt16
    /// "127.0.0.1:8124", the address it listens on.
    package let address: String

    /// Listens on `host:port`; port 0 lets the OS pick (read `port`).
    package init(host: String, port: UInt16, backlog: Int32 = TCPListener.defaultBacklog) throws(ChannelError) {
        let addresses = try SocketAddress.resolve(host: host, port: port)
        guard let address = addresses.first else {
            throw ChannelError(kind: .transport, code: .internal, message: "\(host) has no address to listen on")
        }
        let failure = { (step: String) in
            ChannelError(
                kind: .transport, code: .internal,
                message: "cannot listen on \(address.text): \(step) failed: \(SocketDescriptor.lastError())")
        }
        let raw = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard raw >= 0 else { throw failure("socket") }
        let socket = Socket(adopting: SocketDescriptor(rawValue: raw))
        try socket.descriptor.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
        guard address.withPointer({ bind(raw, $0, $1) }) == 0 else { throw failure("bind") }
        guard listen(raw, backlog) == 0 else { throw failure("listen") }
        self.socket = socket
        self.port = socket.localPort
        self.address = hostPortText(host: host, port: self.port)
    }

    /// Waits for the next connection. Throws once `shutdown()` was called, or on a failure that
    /// retrying will not fix at once (such as running out of descriptors: the caller should pause).
    package func accept() throws(ChannelError) -> Socket {
        guard let socket = try acceptIfWaiting() else {
            throw ChannelError(kind: .transport, code: .internal, message: "accepting on \(address) failed: no connection was waiting")
        }
        return socket
    }

    /// The next connection; nil if the socket is non-blocking and none is waiting.
    private func acceptIfWaiting() throws(ChannelError) -> Socket? {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let raw = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(socket.descriptor.rawValue, $0, &length)
                }
            }
            if raw >= 0 {
                // accept4 is not visible from Swift's Glibc module; a child process must not inherit it.
                _ = fcntl(raw, F_SETFD, FD_CLOEXEC)
                let remote = withUnsafePointer(to: &storage) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length).text }
                }
                let accepted = Socket(adopting: SocketDescriptor(rawValue: raw), remoteAddress: remote)
                try? accepted.setNoDelay()
                return accepted
            }
            // A client that gave up before we accepted it, or a signal: just wait for the next one.
            if errno == EINTR || errno == ECONNABORTED || errno == EPROTO { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw ChannelError(
                kind: .transport, code: .internal, message: "accepting on \(address) failed: \(SocketDescriptor.lastError())")
        }
    }

    /// The listening descriptor, for an event loop to watch; it stays owned by this listener.
    var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Makes `acceptNow()` return at once when no connection is waiting.
    func setNonBlocking() throws(ChannelError) {
        try socket.setNonBlocking()
    }

    /// The next waiting connection, or nil if none is (after `setNonBlocking()`). Throws on a failure
    /// that retrying at once will not fix (such as running out of descriptors).
    func acceptNow() throws(ChannelError) -> Socket? {
        try acceptIfWaiting()
    }

    /// Stops listening: a thread blocked in `accept()` returns with an error. Safe from any thread.
    package func shutdown() {
        socket.shutdown()
    }
}
