import Foundation

/// Reads an HTTP/1.1 response that ended with the connection: its status and its body, de-chunked if it
/// came in chunks.
enum HTTPResponseText {
    /// The body of `response` if its status is 200; an `AdminError` naming `address` otherwise.
    static func body(of response: [UInt8], from address: String) throws(AdminError) -> [UInt8] {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = response.firstRange(of: separator) else {
            throw AdminError("the answer from \(address) is not HTTP (\(response.count) bytes without the end of a header)")
        }
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw AdminError("the answer from \(address) is not HTTP: \"\(lines.first.map { String($0.prefix(60)) } ?? "")\"")
        }
        guard status == 200 else {
            throw AdminError("the admin endpoint at \(address) answered \(lines.first.map(String.init) ?? "\(status)")")
        }
        let body = Array(response[end.upperBound...])
        let chunked = lines.dropFirst().contains {
            $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked")
        }
        return chunked ? try dechunk(body, from: address) : body
    }

    /// The bytes of a chunked body.
    private static func dechunk(_ body: [UInt8], from address: String) throws(AdminError) -> [UInt8] {
        var result: [UInt8] = []
        var index = body.startIndex
        let crlf: [UInt8] = [13, 10]
        while index < body.endIndex {
            guard let lineEnd = body[index...].firstRange(of: crlf) else { break }
            let sizeText = String(decoding: body[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw AdminError("the chunked answer from \(address) has a bad chunk size \"\(sizeText.prefix(20))\"")
            }
            if size == 0 { return result }
            let start = lineEnd.upperBound
            guard body.endIndex - start >= size else { throw AdminError("the chunked answer from \(address) ends inside a chunk") }
            result += body[start..<start + size]
            index = start + size + 2
        }
        throw AdminError("the chunked answer from \(address) ends without its last chunk")
    }
}
