internal import CBORKit

/// Frames on the wire: a 4-byte big-endian length, then one CBOR map with a text `type`.
///
/// The length is checked against the limit before any of the body is read, so an oversized frame
/// costs the receiver nothing. Package access: the transport's own plumbing; `@usableFromInline` only so
/// that the public configurations can default to `defaultMaxFrameSize`.
@usableFromInline package struct FrameCodec: Sendable {
    /// 1 MiB, the default limit of docs/protocol.md.
    @usableFromInline package static let defaultMaxFrameSize = 1 << 20
    /// Bytes in the length prefix.
    package static let headerSize = 4

    /// The largest body this side accepts or sends.
    package let maxFrameSize: Int
    private let decoder: CBORDecoder

    /// A codec refusing bodies over `maxFrameSize` bytes.
    package init(maxFrameSize: Int = FrameCodec.defaultMaxFrameSize) {
        precondition(maxFrameSize > 0 && maxFrameSize <= Int(UInt32.max), "frame size limit out of range")
        self.maxFrameSize = maxFrameSize
        decoder = CBORDecoder(limits: .init(maxStringLength: maxFrameSize, maxInputSize: maxFrameSize))
    }

    /// The whole frame (length prefix and body) for `message`; throws if it is over the limit.
    package func encode(_ message: Message) throws(ChannelError) -> [UInt8] {
        let body = CBOREncoder.encode(message.cbor)
        guard body.count <= maxFrameSize else {
            throw ChannelError(
                .malformedFrame, "\"\(message.type)\" frame of \(body.count) bytes is over the limit of \(maxFrameSize) bytes")
        }
        let length = UInt32(body.count)
        var frame: [UInt8] = [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        frame.reserveCapacity(Self.headerSize + body.count)
        frame += body
        return frame
    }

    /// The body length that a 4-byte header announces; throws `malformed-frame` if it is 0 or over the limit.
    package func bodyLength(header: [UInt8]) throws(ChannelError) -> Int {
        precondition(header.count == Self.headerSize, "a frame header has 4 bytes")
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length > 0 else { throw ChannelError(.malformedFrame, "the frame is empty (length 0)") }
        guard length <= maxFrameSize else {
            throw ChannelError(.malformedFrame, "a frame of \(length) bytes is over the limit of \(maxFrameSize) bytes")
        }
        return length
    }

    /// The message in a frame body; throws `malformed-frame` naming what is wrong.
    package func decode(body: [UInt8]) throws(ChannelError) -> Message {
        let value: CBORValue
        do {
            value = try decoder.decode(body)
        } catch {
            throw ChannelError(.malformedFrame, "the frame is not one CBOR item (\(error.message))", cause: error)
        }
        return try Message(value)
    }
}
