import ByteKit

/// Bytes that a JSON document carries as hexadecimal text.
public struct HexBytes: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The bytes.
    public let bytes: [UInt8]

    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads hexadecimal text (either case); anything else is a decoding error quoting the text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let bytes = Hex.decode(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text.prefix(20))\" is not hexadecimal text")
        }
        self.bytes = bytes
    }

    /// Writes lowercase hexadecimal text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Hex.encode(bytes))
    }

    /// The lowercase hexadecimal text.
    public var description: String { Hex.encode(bytes) }
}
