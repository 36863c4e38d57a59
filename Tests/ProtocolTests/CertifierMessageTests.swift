import CBORKit
import Channel
import Protocol
import Testing

@Suite struct CertifierMessageTests {
    @Test func messagesRoundTripThroughFrames() throws {
        let codec = FrameCodec()
        func roundTrip<Kind: TypedMessage & Equatable>(_ message: Kind) throws -> Kind {
            let frame = try codec.encode(message.frame)
            return try codec.decode(body: Array(frame.dropFirst(FrameCodec.headerSize))).decode(as: Kind.self)
        }
        #expect(try roundTrip(NonceRequest()) == NonceRequest())
        let nonce = NonceMessage(nonce: [UInt8](repeating: 7, count: 32), expires: 1_800_000_000)
        #expect(try roundTrip(nonce) == nonce)
        let evidence = EvidenceMessage(role: "device", token: [1, 2, 3], publicKey: [4, 5])
        #expect(try roundTrip(evidence) == evidence)
        let admission = AdmissionMessage(certificate: [1], issuer: [6], expires: 2, policy: [3], secrets: ["sealing": [4], "b": [5]])
        #expect(try roundTrip(admission) == admission)
        // A certifier from before issuing keys sends no issuer; the field is left out, not sent empty.
        let direct = AdmissionMessage(certificate: [1], issuer: nil, expires: 2, policy: [3], secrets: [:])
        #expect(try roundTrip(direct) == direct)
        #expect(direct.frame["issuer"] == nil)
        #expect(AdmissionMessage(certificate: [], issuer: nil, expires: 0, policy: [], secrets: [:]).frame["secrets"] == .map([:]))
    }

    @Test func anchorMessagesRoundTripAndAnEmptyFromCreates() throws {
        let codec = FrameCodec()
        func roundTrip<Kind: TypedMessage & Equatable>(_ message: Kind) throws -> Kind {
            let frame = try codec.encode(message.frame)
            return try codec.decode(body: Array(frame.dropFirst(FrameCodec.headerSize))).decode(as: Kind.self)
        }
        let first = AnchorState(version: 4, digest: [UInt8](repeating: 1, count: 32))
        let second = AnchorState(version: 5, digest: [UInt8](repeating: 2, count: 32))
        #expect(try roundTrip(AnchorReadRequest(federation: "fed")) == AnchorReadRequest(federation: "fed"))
        #expect(try roundTrip(AnchorMessage(anchor: first)) == AnchorMessage(anchor: first))
        let advance = AnchorAdvanceRequest(federation: "fed", from: first, to: second)
        #expect(try roundTrip(advance) == advance)
        let create = AnchorAdvanceRequest(federation: "fed", from: nil, to: AnchorState(version: 0, digest: first.digest))
        #expect(try roundTrip(create).from == nil)
        #expect(create.frame["from-digest"] == .bytes([]))
    }

    @Test func theCompareAndSwapRule() {
        let first = AnchorState(version: 0, digest: [1])
        let second = AnchorState(version: 1, digest: [2])
        #expect(AnchorState.decide(stored: nil, from: nil, to: first) == .apply)
        #expect(AnchorState.decide(stored: first, from: first, to: second) == .apply)
        #expect(AnchorState.decide(stored: second, from: first, to: second) == .alreadyThere)
        #expect(AnchorState.decide(stored: second, from: first, to: AnchorState(version: 2, digest: [3])) != .apply)
        #expect(AnchorState.decide(stored: first, from: nil, to: second) != .apply)
        #expect(AnchorState.decide(stored: nil, from: first, to: second) == .conflict("the certifier holds no anchor, not \(first) as the runtime expected"))
        #expect(AnchorState.decide(stored: second, from: second, to: AnchorState(version: 1, digest: [9])) == .conflict("version 1 does not follow version 1: the counter only goes up"))
    }

    /// A digest of another size was stored, then the certifier could not read its own anchor file (over
    /// its limit) and the federation was stuck; a version at the maximum made the runtime's next version
    /// overflow and trap at start.
    @Test func anchorsWithUnusableDigestsOrVersionsAreRefused() throws {
        let digest = [UInt8](repeating: 7, count: 32)
        func advance(version: UInt64, digest: [UInt8], from: (UInt64, [UInt8]) = (0, [])) -> Message {
            Message(type: AnchorAdvanceRequest.type, fields: [
                "federation": "fed", "from-version": .unsigned(from.0), "from-digest": .bytes(from.1), "version": .unsigned(version),
                "digest": .bytes(digest),
            ])
        }
        #expect(throws: ChannelError(.badRequest, "\"digest\" has 1000 bytes, not the 32 of a SHA-256")) {
            try AnchorAdvanceRequest(fields: advance(version: 0, digest: [UInt8](repeating: 1, count: 1000)))
        }
        #expect(throws: ChannelError(.badRequest, "\"digest\" has 0 bytes, not the 32 of a SHA-256")) {
            try AnchorAdvanceRequest(fields: advance(version: 1, digest: []))
        }
        #expect(throws: ChannelError(.badRequest, "\"from-digest\" has 3 bytes, not the 32 of a SHA-256")) {
            try AnchorAdvanceRequest(fields: advance(version: 2, digest: digest, from: (1, [1, 2, 3])))
        }
        #expect(throws: ChannelError(.badRequest, "\"version\" is \(UInt64.max), the counter's maximum")) {
            try AnchorAdvanceRequest(fields: advance(version: .max, digest: digest))
        }
        #expect(throws: ChannelError(.badRequest, "\"version\" is \(UInt64.max), the counter's maximum")) {
            try AnchorMessage(fields: Message(type: AnchorMessage.type, fields: ["version": .unsigned(.max), "digest": .bytes(digest)]))
        }
        #expect(try AnchorAdvanceRequest(fields: advance(version: .max - 1, digest: digest)).to == AnchorState(version: .max - 1, digest: digest))
    }

    @Test func badFieldsAreNamed() {
        #expect(throws: ChannelError(.badRequest, "\"token\" is missing from \"evidence\"")) {
            try EvidenceMessage(fields: Message(type: "evidence", fields: ["role": "device", "public-key": .bytes([1])]))
        }
        #expect(throws: ChannelError(.badRequest, "\"role\" must be a text string, not a unsigned integer")) {
            try EvidenceMessage(fields: Message(type: "evidence", fields: ["role": 1, "token": .bytes([1]), "public-key": .bytes([1])]))
        }
        #expect(throws: ChannelError(.badRequest, "\"issuer\" must be a byte string, not a text string")) {
            try AdmissionMessage(fields: Message(type: "admission", fields: [
                "certificate": .bytes([1]), "issuer": "x", "expires": 1, "policy": .bytes([1]), "secrets": .map([:]),
            ]))
        }
        #expect(throws: ChannelError(.badRequest, "\"secrets\".sealing must be a byte string, not a text string")) {
            try AdmissionMessage(fields: Message(type: "admission", fields: [
                "certificate": .bytes([1]), "expires": 1, "policy": .bytes([1]), "secrets": .map(["sealing": "x"]),
            ]))
        }
        #expect(throws: ChannelError(.badRequest, "\"nonce\" is empty")) {
            try NonceMessage(fields: Message(type: "nonce", fields: ["nonce": .bytes([]), "expires": 1]))
        }
    }
}
