/// Encodes a `CBORValue` through libcbor: definite lengths, shortest integer and float
/// forms, and (unless asked otherwise) deterministic map order (RFC 8949 §4.2.1).
public enum CBOREncoder {
    /// Deterministic encoding: map entries sorted bytewise by their encoded keys.
    public static func encode(_ value: CBORValue) -> [UInt8] {
        encode(value, preservingMapOrder: false)
    }

    /// Encoding with map entries either sorted (deterministic) or in the map's own order,
    /// which re-creates non-deterministic inputs byte for byte.
    public static func encode(_ value: CBORValue, preservingMapOrder: Bool) -> [UInt8] {
        LibcborItem(value, sortingMaps: !preservingMapOrder).serialized()
    }
}
