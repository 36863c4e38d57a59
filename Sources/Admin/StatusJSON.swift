import Foundation

/// The JSON of a status: keys sorted, so two fetches compare line by line.
enum StatusJSON {
    /// `status` as JSON bytes.
    static func encode(_ status: any Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(status))
    }
}
