import Attestation
import ByteKit
import CBORKit
import OpenSSLKit
import Testing

/// Tokens made from the valid vectors by one change each: every one is rejected at the right step,
/// for the right reason, and none crashes.
struct NegativeTokenTests {
    enum Part: String, CaseIterable {
        case platform, realm
    }

    enum Field: String, CaseIterable {
        case signature, payload, protectedHeader
    }

    static let flips: [(String, Part, Field)] = Vectors.validTokens.flatMap { token in
        Part.allCases.flatMap { part in Field.allCases.map { (token.name, part, $0) } }
    }

    /// One flipped bit in a signature or payload breaks that signature; in the protected header it turns
    /// ES384 (-35, 0x38 0x22) into ES512 (-36), which does not fit the P-384 key.
    @Test(arguments: flips)
    func flippedByte(name: String, part: Part, field: Field) throws {
        let bytes = try Vectors.bytes(name)
        let token = try CCAToken(decoding: bytes)
        let sign1 = try #require(part == .platform ? token.platform : token.realm)
        let sign1Offset = try #require(bytes.offset(of: sign1.encoded))
        let offset: Int
        switch field {
        case .signature: offset = try #require(bytes.offset(of: sign1.signature)) + sign1.signature.count / 2
        case .payload: offset = try #require(bytes.offset(of: sign1.payload)) + sign1.payload.count - 1
        case .protectedHeader:
            #expect(sign1.protectedHeader == [0xa1, 0x01, 0x38, 0x22])
            offset = sign1Offset + 3 + 3  // after d2 84 44, the last byte of a1 01 38 22
        }
        let result = try Vectors.verifier().verify(bytes.flipping(at: offset))
        let step: VerificationStep = part == .platform ? .platformSignature : .realmSignature
        #expect(result.failure?.step == step, "\(result.failure?.description ?? "verified")")
        let reason = try #require(result.failure?.reason)
        if field == .protectedHeader {
            #expect(reason.hasPrefix("the token is signed ES512, which needs a P-521 key, but the"))
            #expect(reason.hasSuffix("is P-384"))
        } else if part == .platform {
            #expect(reason.hasPrefix("the ES384 signature does not verify with the trusted platform key 04212867c5..."))
        } else {
            #expect(reason == "the ES384 signature does not verify with the realm public key (claim 44237, \(token.realmClaims!.publicKey.encoding))")
        }
    }

    @Test(arguments: [CCATokenFormat.tag399, .tag907])
    func realmTokenSplicedOntoAnotherPlatformToken(format: CCATokenFormat) throws {
        // Same platform key, same RAK, but the draft token binds the COSE_Key form and token 01 the raw point.
        let draft = try Forge.signedParts(Vectors.bytes("cca-token-draft-ffm-00.cbor"))
        let legacy = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor"))
        let spliced = CCATokenMaker.assemble(platform: draft.platform, realm: legacy.realm, format: format)
        let result = try Vectors.verifier().verify(spliced)
        #expect(result.passed == [.decode, .platformSignature, .realmSignature])
        #expect(result.failure?.description == "binding: the platform challenge 0d22e08a... is not sha-256 of the realm public key (b5973cb6...)")

        let reverse = CCATokenMaker.assemble(platform: legacy.platform, realm: draft.realm, format: format)
        #expect(
            try Vectors.verifier().verify(reverse).failure?.description
                == "binding: the platform challenge b5973cb6... is not sha-256 of the realm public key (0d22e08a...)")
    }

    @Test(arguments: Vectors.validTokens.map(\.name))
    func wrongPlatformKey(name: String) throws {
        let stranger = ECPrivateKey(generating: .p384).publicKey
        let result = CCAVerifier(trustAnchors: [PlatformTrustAnchor(key: stranger)]).verify(try Vectors.bytes(name))
        #expect(result.passed == [.decode])
        #expect(result.failure?.step == .platformSignature)
        #expect(result.failure?.reason == "the ES384 signature does not verify with the trusted platform key \(Hex.short(stranger.rawPoint, count: 5))")
    }

    @Test func noTrustedKeyForTheInstance() throws {
        let anchors = try PlatformTrustAnchor.load(Vectors.bytes("ta-02-ok.json"))
        let result = CCAVerifier(trustAnchors: anchors).verify(try Vectors.bytes("cca-token-01.cbor"))
        #expect(result.failure?.step == .platformSignature)
        #expect(
            result.failure?.reason
                == "no trusted platform key for instance ID 0107060504030201... (claim 256); the trusted keys are for 0102020202020202...")
        #expect(CCAVerifier(trustAnchors: []).verify(try Vectors.bytes("cca-token-01.cbor")).failure?.reason == "no trusted platform keys were given")
    }

    @Test func instanceIDPicksTheKey() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor"))
        let right = PlatformTrustAnchor(instanceID: token.platformClaims.instanceID, key: try Vectors.platformKey().publicKey)
        let other = PlatformTrustAnchor(instanceID: [0x01] + [UInt8](repeating: 9, count: 32), key: ECPrivateKey(generating: .p384).publicKey)
        let unbound = PlatformTrustAnchor(key: ECPrivateKey(generating: .p384).publicKey)
        let result = CCAVerifier(trustAnchors: [other, unbound, right]).verify(token)
        #expect(result.isVerified)
        #expect(result.verifiedToken?.trustAnchor == right)
        // The instance's own key is used even when a key for any platform is also trusted.
        let wrongForInstance = PlatformTrustAnchor(instanceID: token.platformClaims.instanceID, key: ECPrivateKey(generating: .p384).publicKey)
        let refused = CCAVerifier(trustAnchors: [wrongForInstance, PlatformTrustAnchor(key: right.key)]).verify(token)
        #expect(refused.failure?.step == .platformSignature)
        #expect(refused.failure?.reason.contains("for instance 0107060504030201...") == true)
    }

    @Test func implementationIDMustMatchWhenTheAnchorNamesOne() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor"))
        let anchor = PlatformTrustAnchor(implementationID: [UInt8](repeating: 0, count: 32), key: try Vectors.platformKey().publicKey)
        let result = CCAVerifier(trustAnchors: [anchor]).verify(token)
        #expect(result.failure?.reason == "the implementation ID 7f454c4602010100... (claim 2396) is not the trusted 0000000000000000...")
    }

    @Test func wrongNonce() throws {
        let result = try Vectors.verifier().verify(Vectors.bytes("cca_example_token.cbor"), challenge: [UInt8](repeating: 0x5a, count: 64))
        #expect(result.passed == [.decode, .platformSignature, .realmSignature, .binding])
        #expect(result.failure?.description == "freshness: the realm challenge 6e86d6d9... is not the expected 5a5a5a5a...")
    }

    @Test func shortNonceMatchesAfterZeroPadding() throws {
        let nonce = [UInt8](1...32)
        let token = try SimulatedPlatform.token(
            platformKey: Vectors.platformKey(), realmKey: Vectors.realmKey(), rim: [UInt8](repeating: 7, count: 32), challenge: nonce)
        let realm = try #require(try CCAToken(decoding: token).realmClaims)
        #expect(realm.challenge == nonce + [UInt8](repeating: 0, count: 32))
        let verifier = try Vectors.verifier()
        #expect(verifier.verify(token, challenge: nonce).passed == VerificationStep.allCases)
        #expect(verifier.verify(token, challenge: realm.challenge).isVerified)
        let otherPadding = nonce + [1] + [UInt8](repeating: 0, count: 31)
        #expect(verifier.verify(token, challenge: otherPadding).failure?.step == .freshness)
        let shorter = Array(nonce.prefix(31))
        #expect(
            verifier.verify(token, challenge: shorter).failure?.reason
                == "the realm challenge \(Hex.encode(nonce))... is not the expected \(Hex.encode(shorter + [0]))... (a 31-byte nonce zero-padded to 64 bytes)")
        #expect(
            verifier.verify(token, challenge: [UInt8](repeating: 0, count: 65)).failure?.reason
                == "the expected challenge has 65 bytes; it must have 1 to 64")
    }

    static let allTokens = Vectors.validTokens.map(\.name) + ["cca-token-02.cbor", "bug-33-repro.cbor", "cca_example_platform_token.cbor"]

    @Test(arguments: allTokens)
    func truncatedAtEveryOffset(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let verifier = try Vectors.verifier()
        for length in 0..<bytes.count {
            let result = verifier.verify(Array(bytes.prefix(length)))
            #expect(result.decodedToken == nil && result.passed.isEmpty)
            #expect(result.failure?.step == .decode)
            #expect(result.failure?.reason.hasPrefix("the token is not valid CBOR: ") == true)
            let error = attestationError { () throws(AttestationError) in try CCAToken(decoding: Array(bytes.prefix(length))) }
            #expect(error?.code == .cbor(.truncated), "\(name) cut to \(length) bytes: \(error?.message ?? "decoded")")
        }
    }

    @Test(arguments: allTokens)
    func trailingBytes(name: String) throws {
        let result = try Vectors.verifier().verify(Vectors.bytes(name) + [0x00])
        #expect(result.failure?.step == .decode)
        #expect(result.failure?.reason.hasPrefix("the token is not valid CBOR: the item ends at offset") == true)
    }

    @Test func trailingBytesInsideTheWrappedCOSESign1() throws {
        let parts = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor"))
        let token = CCATokenMaker.assemble(platform: parts.platform, realm: parts.realm + [0xf6], format: .tag399)
        let error = attestationError { () throws(AttestationError) in try CCAToken(decoding: token) }
        #expect(error?.code == .cbor(.trailingBytes))
        #expect(error?.message.hasPrefix("realm token (44241): the COSE_Sign1 is not valid CBOR: the item ends at offset") == true)
    }

    @Test(arguments: [CCATokenFormat.tag399, .tag907], [true, false])
    func cose1NotWrappedInAByteString(format: CCATokenFormat, platform: Bool) throws {
        let parts = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor"))
        let decoded = try CBORDecoder().decode(platform ? parts.platform : parts.realm)
        func entry(_ value: CBORValue) -> CBORValue { format == .tag907 ? [263, value] : value }
        let unwrapped: CBORMap = platform
            ? [44234: entry(decoded), 44241: entry(.bytes(parts.realm))]
            : [44234: entry(.bytes(parts.platform)), 44241: entry(decoded)]
        let token = CBOREncoder.encode(.tagged(format.tag!, .map(unwrapped)))
        let result = try Vectors.verifier().verify(token)
        #expect(result.failure?.step == .decode)
        let part = platform ? "platform token (44234)" : "realm token (44241)"
        #expect(result.failure?.reason == "\(part) is a COSE_Sign1 not wrapped in a byte string")
    }

    @Test func missingMandatoryClaims() throws {
        var (platform, realm) = try Forge.claimMaps("cca-token-01.cbor")
        let intact = (platform, realm)
        realm[int: 44238] = nil
        var result = try Vectors.verifier().verify(Forge.token(platform: platform, realm: realm))
        #expect(result.failure?.description == "decode: realm token: mandatory claim 44238 (initial measurement) is missing")

        platform[int: 256] = nil
        result = try Vectors.verifier().verify(Forge.token(platform: platform, realm: intact.1))
        #expect(result.failure?.description == "decode: platform token: mandatory claim 256 (instance ID) is missing")

        // The re-signed intact claims do verify, so the refusals above are about the claims alone.
        #expect(try Vectors.verifier().verify(Forge.token(platform: intact.0, realm: intact.1)).isVerified)
    }

    @Test func anUnknownBindingHashIsNamedWithoutItsControlCharacters() throws {
        let platform: CBORMap
        var realm: CBORMap
        (platform, realm) = try Forge.claimMaps("cca-token-01.cbor")
        // A token's text ends up in the certifier's log and on a terminal: it must not break a line or
        // send an escape sequence.
        realm[int: 44240] = "md5\n[certifier] admitted runtime\u{1b}[2J"
        let result = try Vectors.verifier().verify(Forge.token(platform: platform, realm: realm))
        #expect(result.passed == [.decode, .platformSignature, .realmSignature])
        #expect(
            result.failure?.description
                == #"binding: claim 44240 (public key hash algorithm ID) names "md5\n[certifier] admitted runtime\u001b[2J", not sha-256, sha-384 or sha-512"#)
    }

    @Test func duplicateClaimKey() throws {
        let (platform, realm) = try Forge.claimMaps("cca-token-01.cbor")
        var payload = Forge.encode(realm)
        // One more entry in the map head (0xa7 -> 0xa8), then a second challenge claim.
        #expect(payload[0] == 0xa7)
        payload[0] += 1
        payload += CBOREncoder.encode(10) + CBOREncoder.encode(.bytes([UInt8](repeating: 0, count: 64)))
        let token = try Forge.token(platformPayload: Forge.encode(platform), realmPayload: payload)
        let error = attestationError { () throws(AttestationError) in try CCAToken(decoding: token) }
        #expect(error?.code == .cbor(.duplicateMapKey))
        #expect(error?.message.hasPrefix("realm token: the payload is not valid CBOR: duplicate map key 10") == true)
    }

    @Test func duplicateWrapperKey() throws {
        let parts = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor"))
        // 399({44234: platform, 44234: realm}), written by hand since CBORMap refuses it.
        var token: [UInt8] = [0xd9, 0x01, 0x8f, 0xa2]
        token += CBOREncoder.encode(44234) + CBOREncoder.encode(.bytes(parts.platform))
        token += CBOREncoder.encode(44234) + CBOREncoder.encode(.bytes(parts.realm))
        let result = try Vectors.verifier().verify(token)
        #expect(result.failure?.step == .decode)
        #expect(result.failure?.reason.hasPrefix("the token is not valid CBOR: duplicate map key 44234") == true)
    }

    @Test func unsupportedAlgorithm() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor"))
        let realm = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor")).realm
        // {1: -8}: EdDSA.
        let eddsa = Forge.replacingProtectedHeader(token.platform, with: [0xa1, 0x01, 0x27])
        var result = try Vectors.verifier().verify(CCATokenMaker.assemble(platform: eddsa, realm: realm, format: .tag399))
        #expect(
            result.failure?.description
                == "decode: platform token (44234): the COSE_Sign1 alg -8 is not supported (supported: ES256 (-7), ES384 (-35), ES512 (-36))")
        // An empty protected header has no alg at all.
        let none = Forge.replacingProtectedHeader(token.platform, with: [])
        result = try Vectors.verifier().verify(CCATokenMaker.assemble(platform: none, realm: realm, format: .tag399))
        #expect(result.failure?.description == "decode: platform token (44234): the COSE_Sign1 protected header has no alg (label 1)")
    }

    @Test func algorithmThatDoesNotFitTheKey() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor"))
        let platform = try Forge.signedParts(Vectors.bytes("cca-token-01.cbor")).platform
        let realm = try #require(token.realm)
        // {1: -7}: ES256, on a token signed by the P-384 RAK.
        let es256 = Forge.replacingProtectedHeader(realm, with: [0xa1, 0x01, 0x26])
        let result = try Vectors.verifier().verify(CCATokenMaker.assemble(platform: platform, realm: es256, format: .tag399))
        #expect(result.passed == [.decode, .platformSignature])
        #expect(
            result.failure?.description
                == "realm signature: the token is signed ES256, which needs a P-256 key, but the realm public key (claim 44237, raw point) is P-384")
    }
}
