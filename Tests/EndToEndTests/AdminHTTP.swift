import Channel
import Foundation
import Glibc

/// Plain HTTP/1.1 against an admin endpoint, byte for byte, so that tests can also send what no client
/// library would (a 100 KB request line, a TLS hello).
enum AdminHTTP {
    /// An answer: its status (nil if the server closed without one) and its body.
    struct Answer {
        let status: Int?
        let body: [UInt8]
    }

    /// `GET path` on 127.0.0.1:`port`.
    static func get(_ path: String, port: UInt16) throws -> Answer {
        try exchange("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", port: port)
    }

    /// The Prometheus text of /metrics, parsed.
    static func metrics(port: UInt16) throws -> MetricsText {
        let answer = try get("/metrics", port: port)
        guard answer.status == 200 else { throw ProcessFailure("/metrics answered \(answer.status.map(String.init) ?? "nothing")") }
        return MetricsText(String(decoding: answer.body, as: UTF8.self))
    }

    static func exchange(_ request: String, port: UInt16) throws -> Answer {
        try exchange(bytes: Array(request.utf8), port: port)
    }

    /// Sends `bytes` and reads until the server closes (or 10 s pass).
    static func exchange(bytes: [UInt8], port: UInt16) throws -> Answer {
        let socket = try TCPConnector.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
        defer { socket.shutdown() }
        try socket.setTimeouts(receive: .seconds(10), send: .seconds(10))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket.fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may close while the rest is on its way (it refused what it read so far).
            guard count > 0 else { break }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fileDescriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)) else { return Answer(status: nil, body: []) }
        let statusLine = String(decoding: response[..<end.lowerBound], as: UTF8.self).prefix { $0 != "\r" }
        let parts = statusLine.split(separator: " ")
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
        var body = Array(response[end.upperBound...])
        if head.contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Answer(status: parts.count > 1 ? Int(parts[1]) : nil, body: body)
    }

    private static func dechunk(_ body: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while let lineEnd = body[index...].firstRange(of: [13, 10]),
            let size = Int(String(decoding: body[index..<lineEnd.lowerBound], as: UTF8.self), radix: 16), size > 0,
            lineEnd.upperBound + size <= body.count
        {
            result += body[lineEnd.upperBound..<lineEnd.upperBound + size]
            index = lineEnd.upperBound + size + 2
            guard index < body.count else { break }
        }
        return result
    }
}

/// Prometheus text format, as name, labels and value per sample line.
struct MetricsText {
    let samples: [(name: String, labels: [String: String], value: Double)]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
            }
            return (String(series[..<brace]), labels, value)
        }
    }

    /// The value of the sample `name` whose labels include `labels`; nil if there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}
