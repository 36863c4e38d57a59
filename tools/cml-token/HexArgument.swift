import ArgumentParser
import ByteKit

/// Bytes given on the command line as hexadecimal text; anything else is a usage error.
struct HexArgument: ExpressibleByArgument {
    let bytes: [UInt8]

    init?(argument: String) {
        guard let bytes = Hex.decode(argument) else { return nil }
        self.bytes = bytes
    }

    static var defaultValueDescription: String { "HEX" }

    /// "1 byte", "32 bytes": the size, for usage errors.
    var size: String { bytes.count == 1 ? "1 byte" : "\(bytes.count) bytes" }
}
