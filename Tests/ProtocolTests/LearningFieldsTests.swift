import CBORKit
import Channel
import Protocol
import Testing

/// The optional fields of learning you can see: an update's loss and put-model's validation list travel
/// through CBOR frames, and messages without them (older peers) still decode.
@Suite struct LearningFieldsTests {
    /// `message` after a trip through CBOR bytes, as a frame carries it.
    func wire(_ message: Message) throws -> Message {
        try Message(CBORDecoder().decode(CBOREncoder.encode(message.cbor)))
    }

    @Test func anUpdateCarriesItsLossOrNone() throws {
        let sent = UpdateRequest(round: 3, model: [1, 2], samples: 4, loss: 0.125)
        #expect(try wire(sent.frame).decode(as: UpdateRequest.self) == sent)
        let older = Message(type: "update", fields: ["round": .unsigned(3), "model": .bytes([1, 2]), "samples": .unsigned(4)])
        #expect(try wire(older).decode(as: UpdateRequest.self) == UpdateRequest(round: 3, model: [1, 2], samples: 4))
        #expect(UpdateRequest(round: 3, model: [1, 2], samples: 4).frame["loss"] == nil)
        // NaN travels (the runtime, not the decoder, refuses it, with its reason).
        let nan = try wire(UpdateRequest(round: 3, model: [1, 2], samples: 4, loss: .nan).frame).decode(as: UpdateRequest.self)
        #expect(nan.loss?.isNaN == true)
        var lowLoss = older
        lowLoss["loss"] = .text("low")
        let mistyped = #expect(throws: ChannelError.self) { try lowLoss.decode(as: UpdateRequest.self) }
        #expect(mistyped?.description == "bad-request: \"loss\" must be a number, not a text string")
    }

    @Test func putModelCarriesItsValidationListOrNoneAndTheAckCountsIt() throws {
        let sent = PutModelRequest(model: [9], validation: ["about", "white"])
        #expect(try wire(sent.frame).decode(as: PutModelRequest.self) == sent)
        #expect(try wire(PutModelRequest(model: [9]).frame).decode(as: PutModelRequest.self).validation == nil)
        let ack = ModelAck(id: "ab", size: 1, validationWords: 2)
        #expect(try wire(ack.frame).decode(as: ModelAck.self) == ack)
        #expect(try wire(ModelAck(id: "ab", size: 1).frame).decode(as: ModelAck.self).validationWords == nil)
        let mistyped = #expect(throws: ChannelError.self) {
            try Message(type: "put-model", fields: ["model": .bytes([9]), "validation": .array([.text("about"), .unsigned(1)])]).decode(as: PutModelRequest.self)
        }
        #expect(mistyped?.description == "bad-request: \"validation\"[1] must be a text string, not a unsigned integer")
    }
}
