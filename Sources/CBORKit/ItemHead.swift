/// The initial byte of a CBOR item and what follows it, read by hand only where libcbor
/// gives no answer: heads libcbor 0.8 rejects, and explaining why input ran short.
struct ItemHead {
    /// Major type, 0-7.
    let major: UInt8
    /// The low five bits of the initial byte.
    let additionalInfo: UInt8

    init(_ initialByte: UInt8) {
        major = initialByte >> 5
        additionalInfo = initialByte & 0x1f
    }

    /// Bytes of the head: the initial byte plus 0, 1, 2, 4 or 8 argument bytes.
    var length: Int {
        switch additionalInfo {
        case 24: 2
        case 25: 3
        case 26: 5
        case 27: 9
        default: 1
        }
    }

    /// The argument (a length, count, tag or value), if the head is complete in `bytes`.
    func argument(in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64? {
        if additionalInfo < 24 { return UInt64(additionalInfo) }
        guard additionalInfo <= 27, offset + length <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in (offset + 1)..<(offset + length) {
            value = value << 8 | UInt64(bytes[index])
        }
        return value
    }

    /// The major type in words, for messages.
    var typeName: String {
        switch major {
        case 0: "unsigned integer"
        case 1: "negative integer"
        case 2: "byte string"
        case 3: "text string"
        case 4: "array"
        case 5: "map"
        case 6: "tag"
        default: "simple value or float"
        }
    }
}
