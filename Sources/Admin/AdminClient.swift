import Channel
import CommandSupport
import Foundation
import Glibc

/// A small blocking HTTP/1.1 client for the `status` commands: one GET, `Connection: close`, the body
/// read to the end. Enough for the admin endpoint, which is plain HTTP on a trusted network.
public enum AdminClient {
    /// The largest answer read; a status is a few kilobytes.
    public static let maximumResponseSize = 4 << 20

    /// The body of `GET path` at `host:port` if the status is 200. Throws `AdminError` naming the address
    /// if nothing answers there in `timeout`, the answer is not HTTP, or its status is not 200.
    public static func get(_ path: String, host: String, port: UInt16, timeout: Duration = .seconds(5)) throws(AdminError) -> [UInt8] {
        let address = HostPort(host: host, port: port).description
        let socket: Socket
        do {
            socket = try TCPConnector.connect(host: host, port: port, timeout: timeout)
            try socket.setTimeouts(receive: timeout, send: timeout)
        } catch {
            throw AdminError("no admin endpoint answers at \(address): \(error.message)")
        }
        defer { socket.shutdown() }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { Glibc.send(socket.fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw AdminError("no admin endpoint answers at \(address): sending the request failed: \(String(cString: strerror(errno)))") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fileDescriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw AdminError("the admin endpoint at \(address) did not finish its answer: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response += buffer[..<count]
            guard response.count <= maximumResponseSize else {
                throw AdminError("the admin endpoint at \(address) answered with more than \(maximumResponseSize) bytes")
            }
        }
        return try HTTPResponseText.body(of: response, from: address)
    }
}
