import ByteKit
import CBORKit
import Foundation
import Testing

/// Bytes from hex written in a test; a typo fails the test rather than crashing it.
func bytes(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try #require(Hex.decode(hex), "not hex: \(hex)", sourceLocation: sourceLocation)
}

/// Decodes hex with the default limits.
func decode(_ hex: String, limits: CBORDecoder.Limits = .default) throws -> CBORValue {
    try CBORDecoder(limits: limits).decode(bytes(hex))
}

/// The error that decoding `hex` throws, or nil if it decodes.
func decodeError(_ hex: String, limits: CBORDecoder.Limits = .default) throws -> CBORError? {
    let input = try bytes(hex)
    do {
        _ = try CBORDecoder(limits: limits).decode(input)
        return nil
    } catch {
        return error
    }
}

/// A file from the test target's Vectors folder.
func vector(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors"))
    return try [UInt8](Data(contentsOf: url))
}

/// `n` nested one-element arrays around `0`: `[[...[0]...]]`.
func nestedArrays(_ depth: Int) -> [UInt8] {
    [UInt8](repeating: 0x81, count: depth) + [0x00]
}
