/// The labels of the PEM blocks in a text, to say plainly what a file holds when it is not what we expect.
enum PEMBlocks {
    /// The label of every "-----BEGIN label-----" line, in order.
    static func labels(in text: String) -> [String] {
        var labels: [String] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN ") {
            rest = rest[begin.upperBound...]
            guard let end = rest.range(of: "-----") else { break }
            labels.append(String(rest[..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return labels
    }

    /// Throws unless `text` holds a block with one of the `accepted` labels, naming what it holds instead.
    static func require(_ accepted: [String], in text: String, _ operation: String) throws(OpenSSLError) {
        let found = labels(in: text)
        if found.contains(where: accepted.contains) { return }
        let wanted = accepted.map { "\"\($0)\"" }.joined(separator: " or ")
        if found.isEmpty {
            throw OpenSSLError(operation, reason: "it holds no PEM block (expected \(wanted))")
        }
        let held = found.map { "\"\($0)\"" }.joined(separator: ", ")
        throw OpenSSLError(operation, reason: "it holds \(held), expected \(wanted)")
    }
}
