internal import CCBOR

/// The callback table for `cbor_stream_decode`. C function pointers cannot capture, so
/// each callback finds its `ValueBuilder` through libcbor's `context` pointer.
///
/// libcbor 0.8's header comments on the string and collection callbacks are swapped:
/// `byte_string`/`string` receive definite strings, `*_start` open indefinite ones.
/// Counts arrive as `size_t`, which Swift imports as `Int`: reread them as unsigned.
enum StreamCallbacks {
    static let table: cbor_callbacks = {
        var table = cbor_empty_callbacks
        table.uint8 = { context, value in builder(context)?.pointee.add(.unsigned(UInt64(value))) }
        table.uint16 = { context, value in builder(context)?.pointee.add(.unsigned(UInt64(value))) }
        table.uint32 = { context, value in builder(context)?.pointee.add(.unsigned(UInt64(value))) }
        table.uint64 = { context, value in builder(context)?.pointee.add(.unsigned(value)) }
        table.negint8 = { context, value in builder(context)?.pointee.add(.negative(UInt64(value))) }
        table.negint16 = { context, value in builder(context)?.pointee.add(.negative(UInt64(value))) }
        table.negint32 = { context, value in builder(context)?.pointee.add(.negative(UInt64(value))) }
        table.negint64 = { context, value in builder(context)?.pointee.add(.negative(value)) }
        table.byte_string = { context, data, length in
            guard let data else { return }
            builder(context)?.pointee.addBytes(data, count: length)
        }
        table.string = { context, data, length in
            guard let data else { return }
            builder(context)?.pointee.addText(data, count: length)
        }
        table.byte_string_start = { context in builder(context)?.pointee.startByteChunks() }
        table.string_start = { context in builder(context)?.pointee.startTextChunks() }
        table.array_start = { context, count in builder(context)?.pointee.startArray(declaredCount: UInt(bitPattern: count)) }
        table.indef_array_start = { context in builder(context)?.pointee.startIndefiniteArray() }
        table.map_start = { context, count in builder(context)?.pointee.startMap(declaredCount: UInt(bitPattern: count)) }
        table.indef_map_start = { context in builder(context)?.pointee.startIndefiniteMap() }
        table.tag = { context, tag in builder(context)?.pointee.startTag(tag) }
        table.float2 = { context, value in builder(context)?.pointee.add(.float(Double(value))) }
        table.float4 = { context, value in builder(context)?.pointee.add(.float(Double(value))) }
        table.float8 = { context, value in builder(context)?.pointee.add(.float(value)) }
        table.undefined = { context in builder(context)?.pointee.add(.undefined) }
        table.null = { context in builder(context)?.pointee.add(.null) }
        table.boolean = { context, value in builder(context)?.pointee.add(.bool(value)) }
        table.indef_break = { context in builder(context)?.pointee.addBreak() }
        return table
    }()

    private static func builder(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<ValueBuilder>? {
        context?.assumingMemoryBound(to: ValueBuilder.self)
    }
}
