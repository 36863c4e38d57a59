/// One incoming frame, put together from the bytes as they arrive: the 4-byte length first, checked
/// against the limit before any of the body is read, then a body that grows only with bytes that came,
/// so a peer that announces a large frame and sends little of it holds little memory.
struct FrameAssembler {
    /// The most of a body asked for in one read: 64 KiB.
    static let chunk = 64 << 10

    private let codec: FrameCodec
    private var header: [UInt8] = []
    private var body: [UInt8] = []
    /// The announced body length, once the header is in.
    private(set) var length: Int?

    /// An assembler that refuses frames over `codec`'s limit.
    init(codec: FrameCodec) {
        self.codec = codec
    }

    /// Whether some bytes of a frame have arrived.
    var isStarted: Bool { !header.isEmpty }

    /// The bytes this frame holds in memory now (what counts against the server's budget).
    var heldBytes: Int { body.capacity }

    /// How many bytes to read next: never past the end of this frame, so the next one stays in TLS.
    var wanted: Int {
        guard let length else { return FrameCodec.headerSize - header.count }
        return min(length - body.count, Self.chunk)
    }

    /// Adds `bytes` (at most `wanted`); returns the whole body once it is complete, and starts over.
    /// Throws `malformed-frame` for an empty or oversized frame as soon as its header is in.
    mutating func append(_ bytes: UnsafeRawBufferPointer) throws(ChannelError) -> [UInt8]? {
        guard let length else {
            header += bytes
            if header.count == FrameCodec.headerSize {
                let announced = try codec.bodyLength(header: header)
                self.length = announced
            }
            return nil
        }
        body += bytes
        guard body.count >= length else { return nil }
        let complete = body
        reset()
        return complete
    }

    /// Forgets a partial frame.
    mutating func reset() {
        header = []
        body = []
        length = nil
    }
}
