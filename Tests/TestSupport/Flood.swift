import Channel
import Foundation
import Glibc
public import OpenSSLKit

/// Connections that an attacker would open, from a source address of the test's choice on loopback
/// (127.0.0.2, say), so that the limits per address can tell them from the real client at 127.0.0.1.
public final class Flood {
    /// The descriptors of the connections that got through (closed when the flood goes).
    public private(set) var descriptors: [Int32] = []
    /// TLS connections of `idleTLS` floods, kept so they stay open.
    private var connections: [TLSConnection] = []

    public init() {}

    deinit {
        for descriptor in descriptors { close(descriptor) }
    }

    /// Opens `count` TCP connections from `source` to 127.0.0.1:`port` that never send a byte; returns
    /// how many connected.
    @discardableResult
    public func plainTCP(count: Int, port: UInt16, source: String = "127.0.0.2") -> Int {
        (0..<count).reduce(0) { opened, _ in opened + (connect(port: port, source: source) == nil ? 0 : 1) }
    }

    /// Opens `count` connections from `source` that finish their TLS handshake with `context`, then
    /// send nothing; returns how many finished the handshake.
    @discardableResult
    public func idleTLS(count: Int, port: UInt16, context: TLSContext, source: String = "127.0.0.2") -> Int {
        var finished = 0
        for _ in 0..<count {
            guard let descriptor = connect(port: port, source: source) else { continue }
            guard let tls = try? TLSConnection(context: context, fileDescriptor: descriptor), (try? tls.handshake()) != nil else { continue }
            connections.append(tls)
            finished += 1
        }
        return finished
    }

    /// Writes `bytes` on every TLS connection of this flood; returns how many took them all.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Int {
        connections.reduce(0) { sent, tls in sent + ((try? tls.write(bytes)) == nil ? 0 : 1) }
    }

    /// The TLS connections of this flood.
    public var tlsConnections: [TLSConnection] { connections }

    private func connect(port: UInt16, source: String) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            return nil
        }
        descriptors.append(descriptor)
        return descriptor
    }
}
