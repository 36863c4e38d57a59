public import Foundation

/// A statement parameter or a result value, as a Swift value.
///
/// Parameters go to the server in binary form with their type named, so that no value is ever spliced
/// into SQL text and bytea travels as raw bytes.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// text (and varchar, name).
    case text(String)
    /// bytea.
    case bytes([UInt8])
    /// int8 (and int2, int4 in results).
    case int(Int64)
    /// boolean.
    case bool(Bool)
    /// timestamptz, to the microsecond.
    case date(Date)

    /// The type OIDs of pg_type that the values map to.
    enum TypeOID {
        static let bool: UInt32 = 16
        static let bytea: UInt32 = 17
        static let name: UInt32 = 19
        static let int8: UInt32 = 20
        static let int2: UInt32 = 21
        static let int4: UInt32 = 23
        static let text: UInt32 = 25
        static let varchar: UInt32 = 1043
        static let timestamp: UInt32 = 1114
        static let timestamptz: UInt32 = 1184
    }

    /// The server's epoch for timestamps: 2000-01-01 00:00:00 UTC.
    static let epoch = Date(timeIntervalSince1970: 946_684_800)

    /// The type OID this value is sent as (0, unspecified, for NULL: the server infers it).
    var typeOID: UInt32 {
        switch self {
        case .null: 0
        case .text: TypeOID.text
        case .bytes: TypeOID.bytea
        case .int: TypeOID.int8
        case .bool: TypeOID.bool
        case .date: TypeOID.timestamptz
        }
    }

    /// The binary wire form, nil for NULL.
    var binary: [UInt8]? {
        switch self {
        case .null: nil
        case .text(let text): Array(text.utf8)
        case .bytes(let bytes): bytes
        case .int(let value): Self.bigEndian(value)
        case .bool(let value): [value ? 1 : 0]
        case .date(let date): Self.bigEndian(Int64((date.timeIntervalSince(Self.epoch) * 1_000_000).rounded()))
        }
    }

    /// Reads the binary wire form `bytes` of a column of type `oid`; types it does not know come as `.bytes`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, oid: UInt32) -> PostgresValue? {
        switch oid {
        case TypeOID.bool:
            return bytes.count == 1 ? .bool(bytes[0] != 0) : nil
        case TypeOID.int2, TypeOID.int4, TypeOID.int8:
            guard [2, 4, 8].contains(bytes.count) else { return nil }
            // Sign-extend from the first byte, then shift in the rest.
            var value = Int64(Int8(bitPattern: bytes[0]))
            for byte in bytes.dropFirst() { value = value << 8 | Int64(byte) }
            return .int(value)
        case TypeOID.text, TypeOID.varchar, TypeOID.name:
            return .text(String(decoding: bytes, as: UTF8.self))
        case TypeOID.timestamp, TypeOID.timestamptz:
            guard bytes.count == 8 else { return nil }
            var value: Int64 = 0
            for byte in bytes { value = value << 8 | Int64(byte) }
            return .date(epoch + TimeInterval(value) / 1_000_000)
        default:
            return .bytes(Array(bytes))
        }
    }

    private static func bigEndian(_ value: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    /// A text value.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An int8 value.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// NULL.
    public init(nilLiteral: ()) { self = .null }
}
