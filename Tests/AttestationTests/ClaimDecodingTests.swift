import Attestation
import ByteKit
import CBORKit
import OpenSSLKit
import Testing

/// Claim maps with one claim changed: each is refused with a message that names the claim and says
/// what was wrong; unknown claims and every accepted variant decode.
struct ClaimDecodingTests {
    static func platformError(_ change: (inout CBORMap) -> Void) throws -> AttestationError? {
        var claims = try Forge.claimMaps("cca-token-01.cbor").platform
        change(&claims)
        return attestationError { () throws(AttestationError) in try PlatformClaims(claims: claims) }
    }

    static func realmError(_ name: String = "cca-token-01.cbor", _ change: (inout CBORMap) -> Void) throws -> AttestationError? {
        var claims = try Forge.claimMaps(name).realm
        change(&claims)
        return attestationError { () throws(AttestationError) in try RealmClaims(claims: claims) }
    }

    @Test func platformClaimRejections() throws {
        var error = try Self.platformError { $0[int: 10] = .bytes([UInt8](repeating: 1, count: 31)) }
        #expect(error == AttestationError(.wrongSize, claim: 10, "claim 10 (challenge) has 31 bytes, expected 32, 48 or 64"))
        error = try Self.platformError { $0[int: 2396] = "7f454c46" }
        #expect(error == AttestationError(.wrongType, claim: 2396, "claim 2396 (implementation ID) is a text string, expected a byte string"))
        error = try Self.platformError { $0[int: 256] = .bytes([0x02] + [UInt8](repeating: 0, count: 32)) }
        #expect(error == AttestationError(.invalidValue, claim: 256, "claim 256 (instance ID) starts with 0x2, expected 0x01 (a hash of the platform key)"))
        error = try Self.platformError { $0[int: 256] = .bytes([0x01]) }
        #expect(error == AttestationError(.wrongSize, claim: 256, "claim 256 (instance ID) has 1 byte, expected 33"))
        error = try Self.platformError { $0[int: 2395] = "secured" }
        #expect(error == AttestationError(.wrongType, claim: 2395, "claim 2395 (security lifecycle) is a text string, expected an unsigned integer"))
        error = try Self.platformError { $0[int: 2395] = 0x1_0000 }
        #expect(error == AttestationError(.invalidValue, claim: 2395, "claim 2395 (security lifecycle) is 65536, more than 16 bits"))
        error = try Self.platformError { $0[int: 2399] = .map([:]) }
        #expect(error == AttestationError(.wrongType, claim: 2399, "claim 2399 (software components) is a map, expected an array"))
        error = try Self.platformError { $0[int: 2402] = nil }
        #expect(error == AttestationError(.missingClaim, claim: 2402, "mandatory claim 2402 (hash algorithm ID) is missing"))
        error = try Self.platformError { $0[int: 265] = 1 }
        #expect(error == AttestationError(.wrongType, claim: 265, "claim 265 (profile) is an unsigned integer, expected a text string"))
    }

    @Test func softwareComponentRejections() throws {
        var error = try Self.platformError { claims in
            var components = claims[int: 2399]?.array ?? []
            var second = components[1].map ?? [:]
            second[int: 2] = nil
            components[1] = .map(second)
            claims[int: 2399] = .array(components)
        }
        #expect(error == AttestationError(
            .missingClaim, claim: 2399, "claim 2399 (software components) item 1: mandatory label 2 (measurement value) is missing"))
        error = try Self.platformError { $0[int: 2399] = [.bytes([1])] }
        #expect(error == AttestationError(.wrongType, claim: 2399, "claim 2399 (software components) item 0: it is a byte string, expected a map"))
        error = try Self.platformError { $0[int: 2399] = [.map([2: .bytes([1]), 5: .bytes([2]), 4: 3])] }
        #expect(error?.message == "claim 2399 (software components) item 0: label 4 (version) is an unsigned integer, expected a text string")
        // Only measurement and signer ID are mandatory; an empty list is allowed.
        #expect(try Self.platformError { $0[int: 2399] = [.map([2: .bytes([1]), 5: .bytes([2])])] } == nil)
        #expect(try Self.platformError { $0[int: 2399] = [] } == nil)
    }

    @Test func realmClaimRejections() throws {
        var error = try Self.realmError { $0[int: 10] = .bytes([UInt8](repeating: 1, count: 32)) }
        #expect(error == AttestationError(.wrongSize, claim: 10, "claim 10 (challenge) has 32 bytes, expected 64"))
        error = try Self.realmError { $0[int: 44239] = [.bytes([UInt8](repeating: 0, count: 32))] }
        #expect(error == AttestationError(.wrongSize, claim: 44239, "claim 44239 (extensible measurements) has 1 item, expected 4"))
        error = try Self.realmError { claims in
            claims[int: 44239] = .array((0..<4).map { .bytes([UInt8](repeating: 0, count: $0 == 2 ? 20 : 32)) })
        }
        #expect(error == AttestationError(.wrongSize, claim: 44239, "claim 44239 (extensible measurements) item 2 has 20 bytes, expected 32, 48 or 64"))
        error = try Self.realmError { $0[int: 44238] = .bytes([UInt8](repeating: 0, count: 33)) }
        #expect(error == AttestationError(.wrongSize, claim: 44238, "claim 44238 (initial measurement) has 33 bytes, expected 32, 48 or 64"))
        error = try Self.realmError { $0[int: 44235] = nil }
        #expect(error == AttestationError(.missingClaim, claim: 44235, "mandatory claim 44235 (personalization value) is missing"))
        error = try Self.realmError { $0[int: 44240] = nil }
        #expect(error == AttestationError(.missingClaim, claim: 44240, "mandatory claim 44240 (public key hash algorithm ID) is missing"))
        error = try Self.realmError { $0[int: 265] = "tag:arm.com,2099:realm#9.0.0" }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.hasPrefix("claim 265 (profile) \"tag:arm.com,2099:realm#9.0.0\" is not a known realm profile") == true)
        error = try Self.realmError { $0[int: 265] = "x\r\n\u{1b}]0;owned\u{7}" }
        #expect(error?.message.hasPrefix(#"claim 265 (profile) "x\r\n\u001b]0;owned\u0007" is not a known realm profile"#) == true)
        error = try Self.realmError { $0[int: 44243] = 1.5 }
        #expect(error == AttestationError(.wrongType, claim: 44243, "claim 44243 (MEC policy) is a float, expected a text string or an unsigned integer"))
        error = try Self.realmError { $0[int: 256] = .bytes([1, 2]) }
        #expect(error == AttestationError(.wrongSize, claim: 256, "claim 256 (instance ID) has 2 bytes, expected 33"))
    }

    @Test func mecPolicyAsTextOrNumber() throws {
        var claims = try Forge.claimMaps("cca_example_token.cbor").realm
        #expect(try RealmClaims(claims: claims).mecPolicy == .number(1))
        claims[int: 44243] = "shared"
        #expect(try RealmClaims(claims: claims).mecPolicy == .named("shared"))
    }

    @Test func realmPublicKeyRejections() throws {
        let rak = try Vectors.realmKey().publicKey
        let coseKey = RealmPublicKey(key: rak, encoding: .coseKey).claimBytes
        func error(_ bytes: [UInt8]) -> AttestationError? {
            attestationError { () throws(AttestationError) in try RealmPublicKey(claimBytes: bytes) }
        }
        var rejected = error(Array(rak.rawPoint.dropLast()))
        #expect(rejected?.code == .invalidKey)
        #expect(rejected?.message == "claim 44237 (realm public key) (raw point): reading a raw EC public key: it has 96 bytes, not 65 (P-256), 97 (P-384) or 133 (P-521)")
        // A point off the curve: the y coordinate of another point.
        rejected = error(Array(rak.rawPoint.dropLast()) + [rak.rawPoint.last! ^ 1])
        #expect(rejected?.code == .invalidKey)
        #expect(rejected?.message.hasPrefix("claim 44237 (realm public key) (raw point): reading a P-384 public key from a raw point") == true)

        var map = try #require(try CBORDecoder().decode(coseKey).map)
        map[int: 1] = 1
        rejected = error(CBOREncoder.encode(.map(map)))
        #expect(rejected == AttestationError(.invalidKey, claim: 44237, "claim 44237 (realm public key) (COSE_Key) kty is 1, expected 2 (EC2)"))
        map[int: 1] = 2
        map[int: -3] = true
        rejected = error(CBOREncoder.encode(.map(map)))
        #expect(rejected?.message == "claim 44237 (realm public key) (COSE_Key) x and y must be byte strings (compressed points are not supported)")
        map[int: -3] = nil
        rejected = error(CBOREncoder.encode(.map(map)))
        #expect(rejected?.message == "claim 44237 (realm public key) (COSE_Key) has no y (label -3)")
        map[int: -1] = 6
        rejected = error(CBOREncoder.encode(.map(map)))
        #expect(rejected?.message == "claim 44237 (realm public key) (COSE_Key) crv is 6, expected 1 (P-256), 2 (P-384) or 3 (P-521)")
        rejected = error([0xa1, 0x01])
        #expect(rejected?.code == .cbor(.truncated))
        rejected = error([0x83, 0x01, 0x02, 0x03])
        #expect(rejected?.message == "claim 44237 (realm public key) (COSE_Key) is an array, expected a map")
    }

    @Test(arguments: [CBORValue.array([]), .bytes([]), "claims"])
    func payloadMustBeAMap(payload: CBORValue) throws {
        let bytes = CBOREncoder.encode(payload)
        let error = attestationError { () throws(AttestationError) in try PlatformClaims(decoding: bytes) }
        #expect(error == AttestationError(.structure, "the payload is \(payload.typeName == "array" ? "an" : "a") \(payload.typeName), expected a map of claims"))
    }

    @Test(arguments: Vectors.validTokens.map(\.name) + ["cca-token-02.cbor"])
    func claimsSurviveEncoding(name: String) throws {
        let token = try CCAToken(decoding: Vectors.bytes(name))
        #expect(try PlatformClaims(decoding: token.platformClaims.encoded) == token.platformClaims)
        let realm = try #require(token.realmClaims)
        #expect(try RealmClaims(decoding: realm.encoded) == realm)
    }

    /// Our claim order is TF-RMM's, so these realm payloads re-encode byte for byte.
    @Test(arguments: ["cca-token-01.cbor", "cca_example_token.cbor"])
    func realmClaimsReencodeExactly(name: String) throws {
        let token = try CCAToken(decoding: Vectors.bytes(name))
        #expect(token.realmClaims?.encoded == token.realm?.payload)
    }

    @Test func instanceIDOfAKey() throws {
        let key = try Vectors.platformKey().publicKey
        let id = PlatformClaims.instanceID(for: key)
        #expect(id.count == 33)
        #expect(id[0] == 0x01)
        #expect(Array(id.dropFirst()) == Digest.sha256.hash(key.rawPoint))
    }

    @Test func lifecycleStates() throws {
        var claims = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor")).platformClaims
        let expected: [(UInt16, String)] = [
            (0x0000, "unknown"), (0x1000, "assembly and test"), (0x2001, "PSA RoT provisioning"), (0x30ff, "secured"),
            (0x4000, "non-PSA RoT debug"), (0x5000, "recoverable PSA RoT debug"), (0x6000, "decommissioned"), (0x7000, "invalid"),
        ]
        for (value, state) in expected {
            claims.lifecycle = value
            #expect(claims.lifecycleState == state)
        }
    }
}
