import ByteKit
internal import CCBOR

/// Decodes exactly one CBOR item through libcbor's streaming decoder, within limits.
///
/// Indefinite-length strings, arrays and maps are accepted: string chunks are concatenated
/// (each text chunk must be valid UTF-8 by itself), and the result is indistinguishable from
/// the definite form. Error offsets count from the start of the bytes passed in.
public struct CBORDecoder: Sendable {
    /// Bounds that keep hostile input from costing much memory or stack.
    public struct Limits: Sendable, Equatable {
        /// Containers and tags may nest this many levels.
        public var maxDepth: Int
        /// Items in one array, or entries in one map.
        public var maxItemsPerContainer: Int
        /// Bytes in one byte or text string (after joining chunks).
        public var maxStringLength: Int
        /// Bytes of input.
        public var maxInputSize: Int

        /// Limits; the defaults suit attestation tokens, model blobs and protocol frames.
        public init(
            maxDepth: Int = 32, maxItemsPerContainer: Int = 65_536,
            maxStringLength: Int = 16 << 20, maxInputSize: Int = 64 << 20
        ) {
            self.maxDepth = maxDepth
            self.maxItemsPerContainer = maxItemsPerContainer
            self.maxStringLength = maxStringLength
            self.maxInputSize = maxInputSize
        }

        /// Depth 32, 65,536 items per container, 16 MiB per string, 64 MiB of input.
        public static let `default` = Limits()
    }

    /// The limits this decoder enforces.
    public let limits: Limits

    /// A decoder with these limits.
    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// Decodes `bytes`, which must hold exactly one item.
    public func decode(_ bytes: [UInt8]) throws(CBORError) -> CBORValue {
        // withUnsafeBytes only rethrows untyped errors; a Result keeps the type.
        try bytes.withUnsafeBytes { buffer in Result { () throws(CBORError) in try decode(buffer) } }.get()
    }

    /// Decodes any byte collection (an `ArraySlice`, `Data`, ...), without copying when it is contiguous.
    public func decode<Bytes: Collection>(_ bytes: Bytes) throws(CBORError) -> CBORValue where Bytes.Element == UInt8 {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(CBORError) in try decode(UnsafeRawBufferPointer(buffer)) }
        }
        return try (contiguous ?? Result { () throws(CBORError) in try decode(Array(bytes)) }).get()
    }

    /// Decodes the bytes in `buffer`, which must hold exactly one item.
    public func decode(_ buffer: UnsafeRawBufferPointer) throws(CBORError) -> CBORValue {
        guard buffer.count <= limits.maxInputSize else {
            throw CBORError(
                .tooLarge, offset: 0,
                message: "input is \(buffer.count) bytes, more than the limit of \(limits.maxInputSize)")
        }
        let input = buffer.assumingMemoryBound(to: UInt8.self)
        var builder = ValueBuilder(input: input, limits: limits)
        return try withUnsafeMutablePointer(to: &builder) { builder throws(CBORError) in
            try withUnsafePointer(to: StreamCallbacks.table) { callbacks throws(CBORError) in
                try Self.drive(builder, callbacks: callbacks)
            }
        }
    }

    /// Feeds libcbor one item head at a time until the top-level item is complete.
    private static func drive(
        _ builder: UnsafeMutablePointer<ValueBuilder>, callbacks: UnsafePointer<cbor_callbacks>
    ) throws(CBORError) -> CBORValue {
        let input = builder.pointee.input
        var offset = 0
        while true {
            guard offset < input.count, let base = input.baseAddress else {
                throw builder.pointee.truncation(at: offset)
            }
            builder.pointee.offset = offset
            let step = cbor_stream_decode(base + offset, input.count - offset, callbacks, builder)
            switch step.status {
            case CBOR_DECODER_FINISHED:
                offset += step.read
            case CBOR_DECODER_NEDATA:
                throw builder.pointee.truncation(at: offset)
            default:
                offset += builder.pointee.addHeadLibcborRejects()
            }
            if let error = builder.pointee.error {
                throw error
            }
            if let value = builder.pointee.result {
                guard offset == input.count else {
                    throw CBORError(
                        .trailingBytes, offset: offset,
                        message: "the item ends at offset \(offset) but the input goes on for \(quantity(input.count - offset, "more byte", "more bytes"))")
                }
                return value
            }
        }
    }
}
