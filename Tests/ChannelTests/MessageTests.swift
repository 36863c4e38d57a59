import CBORKit
import Channel
import Testing

@Test func framesRoundTripWithTheLengthFirst() throws {
    let codec = FrameCodec()
    let message = Message(type: "put-model", fields: ["model": .bytes([1, 2, 3]), "note": "x"])
    let frame = try codec.encode(message)
    let body = Array(frame.dropFirst(4))
    #expect(try codec.bodyLength(header: Array(frame.prefix(4))) == body.count)
    #expect(frame.prefix(4) == [0, 0, 0, UInt8(body.count)])
    let decoded = try codec.decode(body: body)
    #expect(decoded == message)
    #expect(decoded.type == "put-model")
    #expect(try decoded.bytes("model") == [1, 2, 3])
    #expect(decoded["type"] == nil)
    #expect(try CBORDecoder().decode(body).map?[text: "type"] == .text("put-model"))
    #expect(message.description == "put-model {model: 3 bytes, note: text string}")
}

@Test func framesOverTheLimitAreRefusedFromTheirHeader() throws {
    let codec = FrameCodec(maxFrameSize: 100)
    let error = #expect(throws: ChannelError.self) { try codec.bodyLength(header: [0, 0, 0, 101]) }
    #expect(error?.description == "malformed-frame: a frame of 101 bytes is over the limit of 100 bytes")
    #expect(try codec.bodyLength(header: [0, 0, 0, 100]) == 100)
    #expect(throws: ChannelError.self) { try codec.bodyLength(header: [0xff, 0xff, 0xff, 0xff]) }
    let empty = #expect(throws: ChannelError.self) { try codec.bodyLength(header: [0, 0, 0, 0]) }
    #expect(empty?.code == .malformedFrame)
    let big = Message(type: "put-model", fields: ["model": .bytes(Array(repeating: 0, count: 200))])
    let sending = #expect(throws: ChannelError.self) { try codec.encode(big) }
    #expect(sending?.code == .malformedFrame)
    #expect(FrameCodec().maxFrameSize == 1 << 20)
}

@Test(arguments: [
    ([0x83, 0x01, 0x02, 0x03], "malformed-frame: the frame is a CBOR array, not a map"),
    ([0xa1, 0x61, 0x78, 0x01], "malformed-frame: the frame's map has no \"type\""),
    ([0xa1, 0x64, 0x74, 0x79, 0x70, 0x65, 0x01], "malformed-frame: the frame's \"type\" is a unsigned integer, not a text string"),
] as [([UInt8], String)])
func framesThatAreNotATypedMapAreMalformed(body: [UInt8], expected: String) {
    let error = #expect(throws: ChannelError.self) { try FrameCodec().decode(body: body) }
    #expect(error?.description == expected)
    #expect(error?.kind == .local)
}

@Test func framesThatAreNotOneCBORItemAreMalformed() {
    for body: [UInt8] in [[0xa1, 0x64, 0x74], [0xff], [0xa0, 0x00]] {
        let error = #expect(throws: ChannelError.self) { try FrameCodec().decode(body: body) }
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.hasPrefix("the frame is not one CBOR item") == true, "\(String(describing: error))")
        // The decoder's own error is kept underneath, and is not part of what makes two errors equal.
        #expect(error?.cause is CBORError)
        #expect(error == ChannelError(.malformedFrame, error?.message ?? ""))
    }
}

@Test func typedAccessorsNameTheField() throws {
    let message = Message(type: "train", fields: [
        "model": "not bytes", "words": ["about", 7], "round": 3, "loss": 0.25, "flag": true, "secrets": .map(["a": .bytes([1])]),
    ])
    let wrong = #expect(throws: ChannelError.self) { try message.bytes("model") }
    #expect(wrong?.description == "bad-request: \"model\" must be a byte string, not a text string")
    let missing = #expect(throws: ChannelError.self) { try message.unsigned("samples") }
    #expect(missing?.description == "bad-request: \"samples\" is missing from \"train\"")
    let item = #expect(throws: ChannelError.self) { try message.textArray("words") }
    #expect(item?.description == "bad-request: \"words\"[1] must be a text string, not a unsigned integer")
    #expect(try message.unsigned("round") == 3)
    #expect(try message.double("loss") == 0.25)
    #expect(try message.double("round") == 3)
    #expect(try message.bool("flag"))
    #expect(try message.text("model") == "not bytes")
    #expect(try message.map("secrets")[text: "a"] == .bytes([1]))
    #expect(throws: ChannelError.self) { try message.unsigned("loss") }
}

@Test func errorMessagesTravelAsErrorFrames() throws {
    let error = ErrorMessage(ErrorCode(rawValue: "no-model"), "no model has been uploaded yet")
    #expect(error.frame.type == "error")
    let decoded = try ErrorMessage(try FrameCodec().decode(body: Array(try FrameCodec().encode(error.frame).dropFirst(4))))
    #expect(decoded == error)
    #expect(decoded.description == "no-model: no model has been uploaded yet")
    // Channel keeps codes it does not declare (the application's), but not text that is no code name.
    let unknown = try ErrorMessage(Message(type: "error", fields: ["code": "teapot", "message": "short and stout"]))
    #expect(unknown == ErrorMessage(ErrorCode(rawValue: "teapot"), "short and stout"))
    let notACode = try ErrorMessage(Message(type: "error", fields: ["code": "Tea pot", "message": "short and stout"]))
    #expect(notACode == ErrorMessage(.internal, "(code \"Tea pot\") short and stout"))
    #expect(throws: ChannelError.self) { try ErrorMessage(Message(type: "error", fields: ["code": "timeout"])) }
    #expect(throws: ChannelError.self) { try ErrorMessage(Message(type: "pong")) }
}

@Test func aTemporaryRefusalCarriesItsRetryAfter() throws {
    let busy = ErrorMessage(ErrorCode(rawValue: "busy"), "three requests are queued", retryAfterSeconds: 4)
    #expect(busy.frame["retry-after"] == .unsigned(4))
    let decoded = try ErrorMessage(try FrameCodec().decode(body: Array(try FrameCodec().encode(busy.frame).dropFirst(4))))
    #expect(decoded == busy)
    #expect(decoded.retryAfterSeconds == 4)
    // Without one the frame has no such field; an unreadable or huge one is dropped or capped, the refusal stands.
    #expect(ErrorMessage(.timeout, "slow").frame["retry-after"] == nil)
    let unreadable = try ErrorMessage(Message(type: "error", fields: ["code": "busy", "message": "m", "retry-after": "soon"]))
    #expect(unreadable.code.rawValue == "busy" && unreadable.retryAfterSeconds == nil)
    let huge = try ErrorMessage(Message(type: "error", fields: ["code": "busy", "message": "m", "retry-after": .unsigned(UInt64.max)]))
    #expect(huge.retryAfterSeconds == ErrorMessage.maximumRetryAfterSeconds)
    // A thrown error keeps it on its way to the frame.
    #expect(ChannelError(ErrorCode(rawValue: "busy"), "m", retryAfterSeconds: 2).errorMessage.frame["retry-after"] == .unsigned(2))
}

@Test func errorCodesOfTheTransportAreThoseOfTheProtocol() {
    let codes: [ErrorCode] = [.malformedFrame, .badRequest, .unknownType, .notAuthorized, .timeout, .internal]
    #expect(codes.map(\.rawValue) == ["malformed-frame", "bad-request", "unknown-type", "not-authorized", "timeout", "internal"])
}
