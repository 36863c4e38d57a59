import Foundation
import Testing

/// Plain HTTP/1.1 to a page server on loopback (the keyboard page): one request per connection, the
/// bytes written as given, so a test can also send what no HTTP library would (a huge body, no JSON).
struct PageClient {
    let port: UInt16

    /// A status, the headers (names lower-cased) and the body of an answer.
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String

        /// The body as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// `GET path`.
    func get(_ path: String) throws -> Answer {
        try send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
    }

    /// `POST path` with `body`, as JSON unless `contentType` says otherwise (nil: no Content-Type), with
    /// the extra `headers` lines.
    func post(_ path: String, _ body: String, contentType: String? = "application/json", headers: [String] = []) throws -> Answer {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        for line in headers { head += line + "\r\n" }
        return try send(head + "\r\n" + body)
    }

    /// Writes `request` on a new connection and reads the answer until the server closes it.
    private func send(_ request: String) throws -> Answer {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0, "socket: errno \(errno)")
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 300, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect to 127.0.0.1:\(port): errno \(errno)")
        var bytes = Array(request.utf8)[...]
        while !bytes.isEmpty {
            // MSG_NOSIGNAL: a server that closes early (a body over its limit) must not kill the test with SIGPIPE.
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            bytes = bytes.dropFirst(sent)
        }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return try Self.parse(String(decoding: answer, as: UTF8.self))
    }

    private static func parse(_ text: String) throws -> Answer {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = try #require(parts.first?.components(separatedBy: "\r\n"), "no answer")
        let statusLine = lines[0].split(separator: " ")
        let status = try #require(statusLine.count >= 2 ? Int(statusLine[1]) : nil, "no status line in \(text.prefix(200))")
        var headers = [String: String]()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
