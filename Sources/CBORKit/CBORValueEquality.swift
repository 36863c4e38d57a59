/// Equality follows the CBOR data model rather than Swift's defaults, so that two
/// values are equal exactly when they encode to the same deterministic bytes; map-key
/// uniqueness depends on it.
/// - Text compares by UTF-8 bytes: Swift's `String ==` treats canonically equivalent
///   strings ("é" and "e" + U+0301) as equal, but CBOR keys made of them are distinct.
/// - Floats compare by bit pattern, so 0.0 and -0.0 differ; every NaN is equal to every
///   other NaN, since deterministic encoding writes them all as the same half NaN.
extension CBORValue: Hashable {
    /// Data-model equality: UTF-8 bytes for text, bit patterns for floats, any order for maps.
    /// (Matching on `lhs` alone, rather than on a `(lhs, rhs)` tuple, avoids copying both values;
    /// map-key checks call this for every pair of keys.)
    public static func == (lhs: CBORValue, rhs: CBORValue) -> Bool {
        switch lhs {
        case .unsigned(let a): if case .unsigned(let b) = rhs { return a == b }
        case .negative(let a): if case .negative(let b) = rhs { return a == b }
        case .bytes(let a): if case .bytes(let b) = rhs { return a == b }
        case .text(let a): if case .text(let b) = rhs { return a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) }
        case .array(let a): if case .array(let b) = rhs { return a == b }
        case .map(let a): if case .map(let b) = rhs { return a == b }
        case .tagged(let tagA, let a): if case .tagged(let tagB, let b) = rhs { return tagA == tagB && a == b }
        case .simple(let a): if case .simple(let b) = rhs { return a == b }
        case .bool(let a): if case .bool(let b) = rhs { return a == b }
        case .null: if case .null = rhs { return true }
        case .undefined: if case .undefined = rhs { return true }
        case .float(let a): if case .float(let b) = rhs { return (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern }
        }
        return false
    }

    /// Hashes consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeName)
        switch self {
        case .unsigned(let value), .negative(let value): hasher.combine(value)
        case .bytes(let value): hasher.combine(value)
        case .text(let value): Self.hashUTF8(value, into: &hasher)
        case .array(let value): hasher.combine(value)
        case .map(let value): hasher.combine(value)
        case .tagged(let tag, let value):
            hasher.combine(tag)
            hasher.combine(value)
        case .simple(let value): hasher.combine(value)
        case .bool(let value): hasher.combine(value)
        case .null, .undefined: break
        case .float(let value): hasher.combine(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
        }
    }

    /// Hashes the bytes, not the characters: canonically equivalent texts must hash apart.
    private static func hashUTF8(_ text: String, into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}
