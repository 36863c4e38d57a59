internal import CCBOR
import Glibc

/// Owns one reference to a libcbor `cbor_item_t`, built from a `CBORValue`.
///
/// Containers take their own reference to each child (`cbor_array_push`, `cbor_map_add`
/// and `cbor_build_tag` all incref), so each child's wrapper drops its reference as soon
/// as it has been added, and the root's `deinit` frees the whole tree.
final class LibcborItem {
    let pointer: UnsafeMutablePointer<cbor_item_t>

    private init(owning pointer: UnsafeMutablePointer<cbor_item_t>?, _ what: @autoclosure () -> String) {
        // libcbor returns NULL only when malloc fails; like Swift's own allocations, that is fatal.
        guard let pointer else { preconditionFailure("libcbor could not allocate \(what()): out of memory") }
        self.pointer = pointer
    }

    deinit {
        var reference: UnsafeMutablePointer<cbor_item_t>? = pointer
        cbor_decref(&reference)
    }

    /// Builds the libcbor tree for `value`, with definite lengths and, if `sortingMaps`,
    /// map entries ordered bytewise by their encoded keys.
    convenience init(_ value: CBORValue, sortingMaps: Bool) {
        switch value {
        case .unsigned(let number):
            self.init(owning: Self.buildUnsigned(number), "an integer")
        case .negative(let number):
            self.init(owning: Self.buildNegative(number), "an integer")
        case .bytes(let bytes):
            let item = bytes.withUnsafeBufferPointer { Self.withContent($0, cbor_build_bytestring) }
            self.init(owning: item, "a byte string")
        case .text(var text):
            let item = text.withUTF8 { utf8 in
                Self.withContent(utf8) { cbor_build_stringn(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self), $1) }
            }
            self.init(owning: item, "a text string")
        case .array(let items):
            self.init(owning: cbor_new_definite_array(items.count), "an array")
            for item in items {
                let child = LibcborItem(item, sortingMaps: sortingMaps)
                guard cbor_array_push(pointer, child.pointer) else { preconditionFailure("libcbor refused an array item") }
            }
        case .map(let map):
            self.init(owning: cbor_new_definite_map(map.count), "a map")
            var children = map.entries.map {
                (key: LibcborItem($0.key, sortingMaps: sortingMaps), value: LibcborItem($0.value, sortingMaps: sortingMaps))
            }
            if sortingMaps {
                children = children.map { (encoded: $0.key.serialized(), entry: $0) }
                    .sorted { $0.encoded.lexicographicallyPrecedes($1.encoded) }
                    .map(\.entry)
            }
            for child in children {
                guard cbor_map_add(pointer, cbor_pair(key: child.key.pointer, value: child.value.pointer)) else {
                    preconditionFailure("libcbor refused a map entry")
                }
            }
        case .tagged(let tag, let item):
            let child = LibcborItem(item, sortingMaps: sortingMaps)
            self.init(owning: cbor_build_tag(tag, child.pointer), "a tag")
        case .simple(let number):
            precondition(!(24...31).contains(number), "simple(\(number)) cannot be encoded: RFC 8949 reserves simple values 24-31")
            self.init(owning: cbor_build_ctrl(number), "a simple value")
        case .bool(let flag):
            self.init(owning: cbor_build_bool(flag), "a boolean")
        case .null:
            self.init(owning: cbor_new_null(), "null")
        case .undefined:
            self.init(owning: cbor_new_undef(), "undefined")
        case .float(let number):
            self.init(owning: Self.buildFloat(number), "a float")
        }
    }

    /// The item's encoding, from `cbor_serialize_alloc`.
    func serialized() -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var capacity = 0
        let written = cbor_serialize_alloc(pointer, &buffer, &capacity)
        defer { free(buffer) }
        guard written > 0, let buffer else { preconditionFailure("libcbor could not serialize an item: out of memory") }
        return Array(UnsafeBufferPointer(start: buffer, count: written))
    }

    /// Passes libcbor a valid pointer even for empty content (an empty buffer may have no base address).
    private static func withContent<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> Result
    ) -> Result {
        if let base = bytes.baseAddress { return body(base, bytes.count) }
        var placeholder: UInt8 = 0
        return withUnsafePointer(to: &placeholder) { body($0, 0) }
    }

    /// The narrowest integer width, as deterministic encoding requires.
    private static func buildUnsigned(_ number: UInt64) -> UnsafeMutablePointer<cbor_item_t>? {
        if let narrow = UInt8(exactly: number) { return cbor_build_uint8(narrow) }
        if let narrow = UInt16(exactly: number) { return cbor_build_uint16(narrow) }
        if let narrow = UInt32(exactly: number) { return cbor_build_uint32(narrow) }
        return cbor_build_uint64(number)
    }

    private static func buildNegative(_ number: UInt64) -> UnsafeMutablePointer<cbor_item_t>? {
        if let narrow = UInt8(exactly: number) { return cbor_build_negint8(narrow) }
        if let narrow = UInt16(exactly: number) { return cbor_build_negint16(narrow) }
        if let narrow = UInt32(exactly: number) { return cbor_build_negint32(narrow) }
        return cbor_build_negint64(number)
    }

    private static func buildFloat(_ number: Double) -> UnsafeMutablePointer<cbor_item_t>? {
        switch FloatWidth(number) {
        case .half(let value): cbor_build_float2(value)
        case .single(let value): cbor_build_float4(value)
        case .double(let value): cbor_build_float8(value)
        }
    }
}
