/// Encodes a `CBORValue` through libcbor: definite lengths, shortest integer and float
/// forms, and (unless asked otherwise) deterministic map order (RFC 8949 §4.2.1).
///
/// Every NaN is written `f9 7e00` (RFC 8949 §4.2.2). One deviation from preferred
/// serialization, still exact and deterministic: a float that is a subnormal half with more
/// than one significand bit is written as a single, because libcbor 0.8 mis-encodes those
/// halves. `.simple(24...31)` is reserved by RFC 8949 and traps (the decoder never produces it).
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
