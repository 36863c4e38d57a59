public import CBORKit

/// One frame's body: a CBOR map whose text key `type` says what it is, plus the other fields.
///
/// The typed accessors throw `bad-request` errors that name the field, as docs/protocol.md asks:
/// `bad-request: "model" must be a byte string, not a text string`. Unknown fields are ignored.
public struct Message: Sendable, Equatable, CustomStringConvertible {
    /// What the message is, e.g. "put-model".
    public let type: String
    /// Every field except `type`, in the order received or built.
    public private(set) var fields: CBORMap

    /// A message of `type` with `fields`; a `type` entry in `fields` is dropped.
    public init(type: String, fields: CBORMap = [:]) {
        self.type = type
        var fields = fields
        fields[text: "type"] = nil
        self.fields = fields
    }

    /// The message in a decoded frame; throws `malformed-frame` unless it is a map with a text `type`.
    public init(_ value: CBORValue) throws(ChannelError) {
        guard var map = value.map else {
            throw ChannelError(.malformedFrame, "the frame is a CBOR \(value.typeName), not a map")
        }
        guard let type = map[text: "type"] else {
            throw ChannelError(.malformedFrame, "the frame's map has no \"type\"")
        }
        guard let text = type.text else {
            throw ChannelError(.malformedFrame, "the frame's \"type\" is a \(type.typeName), not a text string")
        }
        map[text: "type"] = nil
        self.type = text
        self.fields = map
    }

    /// The frame body: the fields with `type` added.
    public var cbor: CBORValue {
        var map = fields
        map[text: "type"] = .text(type)
        return .map(map)
    }

    /// A field's raw value, or nil; setting nil removes it (`type` cannot be set this way).
    public subscript(key: String) -> CBORValue? {
        get { fields[text: key] }
        set {
            guard key != "type" else { return }
            fields[text: key] = newValue
        }
    }

    /// A byte string field.
    public func bytes(_ key: String) throws(ChannelError) -> [UInt8] {
        try field(key, "a byte string") { $0.bytes }
    }

    /// A text field.
    public func text(_ key: String) throws(ChannelError) -> String {
        try field(key, "a text string") { $0.text }
    }

    /// An unsigned integer field.
    public func unsigned(_ key: String) throws(ChannelError) -> UInt64 {
        try field(key, "an unsigned integer") { $0.uint64 }
    }

    /// A number field (a float, or an integer read as one).
    public func double(_ key: String) throws(ChannelError) -> Double {
        try field(key, "a number") { value in value.double ?? value.int.map(Double.init) }
    }

    /// A boolean field.
    public func bool(_ key: String) throws(ChannelError) -> Bool {
        try field(key, "a boolean") { $0.bool }
    }

    /// An array-of-text field, e.g. `"words"`.
    public func textArray(_ key: String) throws(ChannelError) -> [String] {
        let items = try field(key, "an array of text strings") { $0.array }
        var texts: [String] = []
        texts.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let text = item.text else {
                throw ChannelError(.badRequest, "\"\(key)\"[\(index)] must be a text string, not a \(item.typeName)")
            }
            texts.append(text)
        }
        return texts
    }

    /// A map field, e.g. `"secrets"`.
    public func map(_ key: String) throws(ChannelError) -> CBORMap {
        try field(key, "a map") { $0.map }
    }

    /// The type and field names with sizes, for logs: `put-model {model: 6713 bytes}`. Never the contents.
    public var description: String {
        let summary = fields.map { entry in
            let name = entry.key.text ?? "\(entry.key)"
            switch entry.value {
            case .bytes(let bytes): return "\(name): \(bytes.count) bytes"
            case .array(let items): return "\(name): \(items.count) items"
            default: return "\(name): \(entry.value.typeName)"
            }
        }
        return summary.isEmpty ? type : "\(type) {\(summary.joined(separator: ", "))}"
    }

    private func field<Value>(_ key: String, _ expected: String, _ extract: (CBORValue) -> Value?) throws(ChannelError) -> Value {
        guard let value = fields[text: key] else {
            throw ChannelError(.badRequest, "\"\(key)\" is missing from \"\(type)\"")
        }
        guard let typed = extract(value) else {
            throw ChannelError(.badRequest, "\"\(key)\" must be \(expected), not a \(value.typeName)")
        }
        return typed
    }
}
