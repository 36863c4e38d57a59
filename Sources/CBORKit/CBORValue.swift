/// One CBOR data item (RFC 8949), as decoded or as to be encoded.
///
/// Only `tagged` is stored indirectly: marking the whole enum `indirect` would box
/// every integer and string, and decoding is on the attestation hot path.
public enum CBORValue: Sendable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer -1 - n, carried as n.
    case negative(UInt64)
    /// Major type 2: a byte string (indefinite-length strings arrive concatenated).
    case bytes([UInt8])
    /// Major type 3: a UTF-8 text string.
    case text(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, in the order received or built.
    case map(CBORMap)
    /// Major type 6: a tag number and the item it tags.
    indirect case tagged(UInt64, CBORValue)
    /// Major type 7: a simple value other than false, true, null and undefined (0-19, 32-255).
    case simple(UInt8)
    /// Simple values 20 and 21.
    case bool(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined
    /// Half, single and double precision floats, all widened to `Double`.
    case float(Double)
}

extension CBORValue {
    /// The integer as CBOR carries it: unsigned when zero or positive, negative otherwise.
    public init(_ value: Int) {
        self = value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// An unsigned integer's value; nil for negative integers and every other type.
    public var uint64: UInt64? {
        if case .unsigned(let value) = self { value } else { nil }
    }

    /// An integer that fits in `Int`; nil if not an integer or out of range.
    public var int: Int? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int.max) ? Int(value) : nil
        case .negative(let value): value <= UInt64(Int.max) ? -1 - Int(value) : nil
        default: nil
        }
    }

    /// A byte string's bytes, or nil.
    public var bytes: [UInt8]? {
        if case .bytes(let value) = self { value } else { nil }
    }

    /// A text string, or nil.
    public var text: String? {
        if case .text(let value) = self { value } else { nil }
    }

    /// An array's items, or nil.
    public var array: [CBORValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// A map, or nil.
    public var map: CBORMap? {
        if case .map(let value) = self { value } else { nil }
    }

    /// A tagged item's tag number and content, or nil.
    public var tag: (tag: UInt64, value: CBORValue)? {
        if case .tagged(let tag, let value) = self { (tag, value) } else { nil }
    }

    /// A boolean, or nil.
    public var bool: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// A float, or nil (integers are not converted).
    public var double: Double? {
        if case .float(let value) = self { value } else { nil }
    }

    /// The item's type in words, for error messages ("expected a byte string, found a text string").
    public var typeName: String {
        switch self {
        case .unsigned: "unsigned integer"
        case .negative: "negative integer"
        case .bytes: "byte string"
        case .text: "text string"
        case .array: "array"
        case .map: "map"
        case .tagged: "tagged item"
        case .simple: "simple value"
        case .bool: "boolean"
        case .null: "null"
        case .undefined: "undefined"
        case .float: "float"
        }
    }
}

extension CBORValue: ExpressibleByIntegerLiteral {
    /// An integer literal as `unsigned` or `negative`.
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension CBORValue: ExpressibleByStringLiteral {
    /// A string literal as `text`.
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension CBORValue: ExpressibleByArrayLiteral {
    /// An array literal as `array`.
    public init(arrayLiteral elements: CBORValue...) {
        self = .array(elements)
    }
}

extension CBORValue: ExpressibleByBooleanLiteral {
    /// A boolean literal as `bool`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension CBORValue: ExpressibleByFloatLiteral {
    /// A float literal as `float`.
    public init(floatLiteral value: Double) {
        self = .float(value)
    }
}
