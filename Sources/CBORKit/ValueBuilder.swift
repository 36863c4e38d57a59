import ByteKit
import Glibc

/// Assembles a `CBORValue` from the item heads that libcbor's streaming decoder reports
/// one at a time, enforcing the decoder's limits as the items arrive.
///
/// libcbor's callbacks cannot return an error, so the first failure is parked in `error`
/// and the driver stops there.
struct ValueBuilder {
    /// An item that is still collecting its content.
    private struct Frame {
        enum Kind {
            case array, map, tag(UInt64), byteChunks, textChunks

            var isMap: Bool {
                if case .map = self { true } else { false }
            }
        }

        let kind: Kind
        /// Offset of the head that opened it.
        let start: Int
        /// Items still expected (keys and values count separately); nil if indefinite.
        var remaining: Int?
        var items: [CBORValue] = []
        var entries = MapEntries()
        var chunks: [UInt8] = []

        init(_ kind: Kind, start: Int, remaining: Int?, reserving capacity: Int = 0) {
            self.kind = kind
            self.start = start
            self.remaining = remaining
            switch kind {
            case .array: items.reserveCapacity(capacity)
            case .map: entries.reserve(capacity)
            default: break
            }
        }

        var isIndefinite: Bool { remaining == nil }

        /// What a truncated input failed to deliver, e.g. " (2 items missing)".
        var missingContent: String {
            guard let remaining else { return " (no break)" }
            switch kind {
            case .tag: return " (its content is missing)"
            case .map where entries.pendingKey != nil: return " (a value and \(quantity(remaining / 2, "more entry", "more entries")) missing)"
            case .map: return " (\(quantity(remaining / 2, "entry", "entries")) missing)"
            default: return " (\(quantity(remaining, "item")) missing)"
            }
        }

        var description: String {
            let length = isIndefinite ? "indefinite-length " : ""
            return switch kind {
            case .array: "\(length)array at offset \(start)"
            case .map: "\(length)map at offset \(start)"
            case .tag(let tag): "tag \(tag) at offset \(start)"
            case .byteChunks: "indefinite-length byte string at offset \(start)"
            case .textChunks: "indefinite-length text string at offset \(start)"
            }
        }
    }

    /// Never allocate more than this up front for a declared count, however plausible.
    private static let reserveLimit = 1024

    let input: UnsafeBufferPointer<UInt8>
    let limits: CBORDecoder.Limits
    /// Offset of the head that libcbor is decoding now; the driver sets it before each call.
    var offset = 0
    private(set) var result: CBORValue?
    private(set) var error: CBORError?
    private var stack: [Frame] = []

    init(input: UnsafeBufferPointer<UInt8>, limits: CBORDecoder.Limits) {
        self.input = input
        self.limits = limits
        stack.reserveCapacity(8)
    }

    // MARK: Items from callbacks

    /// A complete scalar item whose head is at `offset`.
    mutating func add(_ value: consuming CBORValue) {
        complete(value, start: offset)
    }

    /// A definite byte string, or one chunk of an indefinite one.
    mutating func addBytes(_ data: UnsafePointer<UInt8>, count: Int) {
        if case .byteChunks? = topKind {
            appendChunk(data, count: count)
        } else if checkStringLength(count, start: offset) {
            add(.bytes(Array(UnsafeBufferPointer(start: data, count: count))))
        }
    }

    /// A definite text string, or one chunk of an indefinite one; each chunk must be valid UTF-8 by itself.
    mutating func addText(_ data: UnsafePointer<UInt8>, count: Int) {
        let isChunk = if case .textChunks? = topKind { true } else { false }
        guard isChunk || checkStringLength(count, start: offset) else { return }
        let content = UnsafeBufferPointer(start: data, count: count)
        guard let text = Self.validatedText(content) else {
            let position = data - input.baseAddress.unsafelyUnwrapped + Self.firstInvalidUTF8(in: content)
            fail(.invalidUTF8, at: offset, "text string at offset \(offset) is not valid UTF-8 (byte \(position))")
            return
        }
        if isChunk {
            appendChunk(data, count: count)
        } else {
            add(.text(text))
        }
    }

    /// The head of a definite array; the count is checked before anything is reserved for it.
    mutating func startArray(declaredCount: UInt) {
        guard let count = checkCount(declaredCount, itemsPerEntry: 1, what: "array") else { return }
        if count == 0 {
            if checkDepth() { add(.array([])) }
            return
        }
        push(Frame(.array, start: offset, remaining: count, reserving: min(count, Self.reserveLimit)))
    }

    /// The head of a definite map; the count is checked before anything is reserved for it.
    mutating func startMap(declaredCount: UInt) {
        guard let count = checkCount(declaredCount, itemsPerEntry: 2, what: "map") else { return }
        if count == 0 {
            if checkDepth() { add(.map(CBORMap())) }
            return
        }
        push(Frame(.map, start: offset, remaining: count * 2, reserving: min(count, Self.reserveLimit)))
    }

    /// The head of a tag; the next item is its content.
    mutating func startTag(_ tag: UInt64) {
        push(Frame(.tag(tag), start: offset, remaining: 1))
    }

    /// `0x9f`: an array closed by a break.
    mutating func startIndefiniteArray() {
        push(Frame(.array, start: offset, remaining: nil))
    }

    /// `0xbf`: a map closed by a break.
    mutating func startIndefiniteMap() {
        push(Frame(.map, start: offset, remaining: nil))
    }

    /// `0x5f`: byte string chunks closed by a break.
    mutating func startByteChunks() {
        push(Frame(.byteChunks, start: offset, remaining: nil))
    }

    /// `0x7f`: text string chunks closed by a break.
    mutating func startTextChunks() {
        push(Frame(.textChunks, start: offset, remaining: nil))
    }

    /// `0xff`: closes the innermost indefinite-length item.
    mutating func addBreak() {
        guard let top = stack.indices.last, stack[top].isIndefinite else {
            let inside = stack.last.map { " inside the \($0.description)" } ?? ""
            fail(.malformed, at: offset, "break (0xff) at offset \(offset)\(inside) closes no indefinite-length item")
            return
        }
        if let key = stack[top].entries.pendingKey {
            fail(.malformed, at: offset, "break (0xff) at offset \(offset) ends the \(stack[top].description) after key \(key.shortDescription) without its value")
            return
        }
        let frame = stack.removeLast()
        complete(finish(frame), start: frame.start)
    }

    /// Decodes the head at `offset` that libcbor reported as an error, returning its length
    /// (0 after parking an error). libcbor 0.8 refuses the one-byte heads of tags 6-20
    /// (`0xc6`-`0xd4`, COSE_Sign1 is `0xd2`) and every simple value outside 20-23, all valid CBOR.
    mutating func addHeadLibcborRejects() -> Int {
        let byte = input[offset]
        let head = ItemHead(byte)
        switch byte {
        case 0xc6...0xd4:
            startTag(UInt64(head.additionalInfo))
            return 1
        case 0xe0...0xf3:
            add(.simple(head.additionalInfo))
            return 1
        case 0xf8:
            guard offset + 1 < input.count else {
                error = error ?? truncation(at: offset)
                return 0
            }
            let value = input[offset + 1]
            guard value >= 32 else {
                fail(.malformed, at: offset, "simple value \(value) at offset \(offset) uses the two-byte form, which RFC 8949 allows only for 32-255")
                return 0
            }
            add(.simple(value))
            return 2
        default:
            let what = head.additionalInfo == 31
                ? "an indefinite length, which is not allowed for major type \(head.major) (\(head.typeName))"
                : "reserved additional information \(head.additionalInfo)"
            fail(.malformed, at: offset, "initial byte 0x\(Hex.encode([byte])) at offset \(offset) has \(what)")
            return 0
        }
    }

    // MARK: Errors the driver finds

    /// Parks an error unless one is parked already (the first failure is the one to report).
    mutating func fail(_ code: CBORError.Code, at position: Int, _ message: String) {
        if error == nil { error = CBORError(code, offset: position, message: message) }
    }

    /// Explains why the input ended early: inside an item head, inside a string, or inside a container.
    func truncation(at position: Int) -> CBORError {
        if position < input.count {
            let head = ItemHead(input[position])
            let remaining = input.count - position
            if remaining < head.length {
                return CBORError(
                    .truncated, offset: position,
                    message: "input ends inside the head of the \(head.typeName) at offset \(position): it needs \(quantity(head.length, "byte")) and has \(remaining)")
            }
            if head.major == 2 || head.major == 3, let length = head.argument(in: input, at: position) {
                return CBORError(
                    .truncated, offset: position,
                    message: "\(head.typeName) at offset \(position) declares \(quantity(length, "byte")) with only \(quantity(remaining - head.length, "byte")) left")
            }
        }
        guard let open = stack.last else {
            return CBORError(.truncated, offset: position, message: "input is empty: expected one CBOR item")
        }
        return CBORError(
            .truncated, offset: position,
            message: "input ends at offset \(position) inside the \(open.description)" + open.missingContent)
    }

    // MARK: Assembly

    private mutating func push(_ frame: consuming Frame) {
        switch topKind {
        case .byteChunks?, .textChunks?:
            failInsideChunks(found: ItemHead(input[offset]).typeName, at: offset)
        default:
            if checkDepth() { stack.append(frame) }
        }
    }

    /// Hands a finished item to the innermost open item, closing every item it completes.
    /// Frames are changed in place: copying one would retain every array it holds.
    private mutating func complete(_ value: consuming CBORValue, start: Int) {
        var value = value
        var start = start
        while let top = stack.indices.last {
            switch stack[top].kind {
            case .array:
                stack[top].items.append(value)
            case .map:
                guard stack[top].entries.add(value) else {
                    fail(.duplicateMapKey, at: start, "duplicate map key \(value.shortDescription) at offset \(start) in the \(stack[top].description)")
                    return
                }
            case .tag(let tag):
                value = .tagged(tag, value)
                start = stack.removeLast().start
                continue
            case .byteChunks, .textChunks:
                failInsideChunks(found: value.typeName, at: start)
                return
            }
            if let remaining = stack[top].remaining {
                if remaining > 1 {
                    stack[top].remaining = remaining - 1
                    return
                }
            } else {
                checkIndefiniteCount(of: top)
                return
            }
            let frame = stack.removeLast()
            value = finish(frame)
            start = frame.start
        }
        result = value
    }

    private mutating func checkIndefiniteCount(of index: Int) {
        let isMap = stack[index].kind.isMap
        let count = isMap ? stack[index].entries.entries.count : stack[index].items.count
        if count > limits.maxItemsPerContainer {
            fail(.tooLarge, at: stack[index].start, "the \(stack[index].description) has more than \(limits.maxItemsPerContainer) \(isMap ? "entries" : "items") (the limit)")
        }
    }

    private func finish(_ frame: consuming Frame) -> CBORValue {
        switch frame.kind {
        case .array: .array(frame.items)
        case .map: .map(CBORMap(checkedEntries: frame.entries.entries))
        case .byteChunks: .bytes(frame.chunks)
        // Every chunk was validated on arrival, and valid UTF-8 concatenates to valid UTF-8.
        case .textChunks: .text(String(decoding: frame.chunks, as: UTF8.self))
        // A tag frame closes in `complete` as soon as its content arrives.
        case .tag(let tag): .tagged(tag, .null)
        }
    }

    private mutating func appendChunk(_ data: UnsafePointer<UInt8>, count: Int) {
        guard let top = stack.indices.last else { return }
        guard checkStringLength(stack[top].chunks.count + count, start: stack[top].start) else { return }
        stack[top].chunks.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
    }

    /// The innermost open item's kind, read without copying its frame.
    private var topKind: Frame.Kind? {
        stack.isEmpty ? nil : stack[stack.count - 1].kind
    }

    // MARK: Checks

    private mutating func checkDepth() -> Bool {
        guard stack.count < limits.maxDepth else {
            fail(.tooDeep, at: offset, "item at offset \(offset) is nested more than \(limits.maxDepth) levels deep (the limit)")
            return false
        }
        return true
    }

    /// Chunks of an indefinite-length string must be definite strings of the same major type.
    private mutating func failInsideChunks(found: String, at position: Int) {
        guard let top = stack.last else { return }
        let expected = if case .byteChunks = top.kind { "byte string" } else { "text string" }
        let article = found.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        fail(.malformed, at: position, "the \(top.description) may hold only definite-length \(expected) chunks, but \(article) \(found) starts at offset \(position)")
    }

    /// A declared count must fit the bytes left (every item takes at least one) and the limit;
    /// nil if it does not.
    private mutating func checkCount(_ declared: UInt, itemsPerEntry: Int, what: String) -> Int? {
        let following = input.count - offset - ItemHead(input[offset]).length
        let (singular, plural) = itemsPerEntry == 1 ? ("item", "items") : ("entry", "entries")
        guard declared <= UInt(following / itemsPerEntry) else {
            fail(.truncated, at: offset, "\(what) at offset \(offset) declares \(quantity(declared, singular, plural)) with only \(quantity(following, "byte")) left")
            return nil
        }
        let count = Int(declared)  // at most `following`, so it fits
        guard count <= limits.maxItemsPerContainer else {
            fail(.tooLarge, at: offset, "\(what) at offset \(offset) declares \(quantity(count, singular, plural)), more than the limit of \(limits.maxItemsPerContainer)")
            return nil
        }
        return count
    }

    private mutating func checkStringLength(_ length: Int, start: Int) -> Bool {
        guard length <= limits.maxStringLength else {
            fail(.tooLarge, at: start, "string at offset \(start) is \(length) bytes long, more than the limit of \(limits.maxStringLength)")
            return false
        }
        return true
    }

    /// The text if `content` is valid UTF-8. `String(decoding:)` repairs invalid sequences,
    /// and any repair changes the bytes, so unchanged bytes prove validity; this is several
    /// times faster than `String(validating:as:)`, which is not specialized for buffers.
    private static func validatedText(_ content: UnsafeBufferPointer<UInt8>) -> String? {
        var text = String(decoding: content, as: UTF8.self)
        let unchanged = text.withUTF8 { utf8 in
            guard utf8.count == content.count else { return false }
            guard let decoded = utf8.baseAddress, let original = content.baseAddress else { return true }
            return memcmp(decoded, original, content.count) == 0
        }
        return unchanged ? text : nil
    }

    /// Index of the first byte that does not start or continue a valid UTF-8 sequence.
    private static func firstInvalidUTF8(in content: UnsafeBufferPointer<UInt8>) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = content.makeIterator()
        var position = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): position += scalar.count
            case .error: return position
            case .emptyInput: return position
            }
        }
    }
}
