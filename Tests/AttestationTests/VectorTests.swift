import Attestation
import ByteKit
import OpenSSLKit
import Testing

/// Every vector from shared/testdata/cca gives the result its README expects.
struct VectorTests {
    @Test(arguments: Vectors.validTokens.map(\.name))
    func validTokenVerifies(name: String) throws {
        let result = try Vectors.verifier().verify(Vectors.bytes(name))
        #expect(result.failure == nil, "\(name): \(result.failure?.description ?? "")")
        #expect(result.passed == [.decode, .platformSignature, .realmSignature, .binding])
        #expect(result.skipped == [.freshness])
        #expect(result.verifiedToken?.token.format == Vectors.validTokens.first { $0.name == name }?.format)
    }

    @Test(arguments: Vectors.validTokens.map(\.name))
    func validTokenIsFreshForItsOwnChallenge(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let challenge = try #require(CCAToken(decoding: bytes).realmClaims?.challenge)
        let result = try Vectors.verifier().verify(bytes, challenge: challenge)
        #expect(result.isVerified)
        #expect(result.passed == VerificationStep.allCases)
        #expect(result.skipped.isEmpty)
    }

    @Test func legacyTokenClaims() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor"))
        #expect(token.format == .tag399)
        #expect(token.platform.algorithm == .es384)
        let platform = token.platformClaims
        #expect(platform.profile == PlatformClaims.legacyProfile)
        #expect(Hex.encode(platform.challenge) == "b5973cb68baa9fc55558786b7ec67f69e40df5ba5aa921cd0c27f40587a011ea")
        #expect(Hex.encode(platform.implementationID) == "7f454c4602010100000000000000000003003e00010000005058000000000000")
        #expect(Hex.encode(platform.instanceID) == "0107060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918")
        #expect(platform.config.count == 33)
        #expect(platform.lifecycle == 0x3003)
        #expect(platform.lifecycleState == "secured")
        #expect(platform.verificationService == "whatever.com")
        #expect(platform.hashAlgorithm == "sha-256")
        #expect(platform.softwareComponents.map(\.type) == ["BL", "M1", "M2", "M3"])
        #expect(platform.softwareComponents.map(\.version) == ["3.4.2", "1.2", "1.2.3", "1"])
        #expect(platform.softwareComponents.map(\.hashAlgorithm) == ["sha-256", nil, nil, nil])
        #expect(platform.softwareComponents.allSatisfy { $0.measurement.count == 32 && $0.signerID.count == 32 })

        let realm = try #require(token.realmClaims)
        #expect(token.realm?.algorithm == .es384)
        #expect(realm.profile == nil)
        #expect(realm.challenge == [UInt8](repeating: 0xab, count: 64))
        #expect(String(decoding: realm.personalizationValue, as: UTF8.self).hasPrefix("The quick brown fox jumps over 13 lazy dogs."))
        #expect(realm.initialMeasurement == [UInt8](repeating: 0, count: 32))
        #expect(realm.extensibleMeasurements == Array(repeating: [UInt8](repeating: 0, count: 32), count: 4))
        #expect(realm.hashAlgorithm == "sha-256")
        #expect(realm.publicKeyHashAlgorithm == "sha-256")
        #expect(realm.publicKey.encoding == .rawPoint)
        #expect(realm.publicKey.claimBytes.count == 97)
        #expect(realm.publicKey.key == (try Vectors.realmKey().publicKey))
        #expect(Hex.encode(realm.publicKey.bindingHash(.sha256)) == "b5973cb68baa9fc55558786b7ec67f69e40df5ba5aa921cd0c27f40587a011ea")
        #expect(realm.mecPolicy == nil)
        #expect(realm.instanceID == nil)
    }

    /// The README's intermediate values: payload and ToBeSigned sizes, and the start of SHA-384(ToBeSigned).
    @Test(arguments: [
        ("cca-token-01.cbor", 550, 571, "c6bccc972fa9af0f762f47ada1c667c6"),
        ("cca-token-draft-ffm-00.cbor", 1409, 1430, "b675de1cb26b9cca63fc9c5b6e4a67f7"),
    ])
    func platformToBeSigned(name: String, payloadSize: Int, toBeSignedSize: Int, hashPrefix: String) throws {
        let platform = try CCAToken(decoding: Vectors.bytes(name)).platform
        #expect(platform.payload.count == payloadSize)
        let toBeSigned = platform.toBeSigned
        #expect(toBeSigned.count == toBeSignedSize)
        #expect(Hex.encode(toBeSigned.prefix(12)) == "846a5369676e617475726531")
        #expect(Hex.encode(Digest.sha384.hash(toBeSigned)).hasPrefix(hashPrefix))
    }

    @Test func draftTokenCarriesTheRAKAsACOSEKey() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-draft-ffm-00.cbor"))
        #expect(token.platformClaims.profile == PlatformClaims.profile2023)
        let realm = try #require(token.realmClaims)
        #expect(realm.profile == .v2023)
        #expect(realm.publicKey.encoding == .coseKey)
        #expect(realm.publicKey.claimBytes.count == 107)
        #expect(Hex.encode(realm.publicKey.bindingHash(.sha256)) == "0d22e08a98469058486318283489bdb36f09dbefeb1864df433fa6e54ea2d711")
        // The RAK is the FVP sample key, and our COSE_Key encoding is TF-RMM's, byte for byte.
        let rak = try Vectors.realmKey().publicKey
        #expect(realm.publicKey.key == rak)
        #expect(RealmPublicKey(key: rak, encoding: .coseKey).claimBytes == realm.publicKey.claimBytes)
    }

    @Test func cmwCollectionTokenClaims() throws {
        let token = try CCAToken(decoding: Vectors.bytes("cca_example_token.cbor"))
        #expect(token.format == .tag907)
        #expect(token.platformClaims.softwareComponents.count == 13)
        #expect(token.platformClaims.softwareComponents.first?.type == "RSE_BL1_2")
        #expect(token.platformClaims.verificationService == "https://veraison.example/.well-known/veraison/verification")
        let realm = try #require(token.realmClaims)
        #expect(realm.profile == .v2024)
        #expect(realm.mecPolicy == .number(1))
        #expect(realm.instanceID.map(Hex.encode) == "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021")
        #expect(realm.publicKey.encoding == .coseKey)
        #expect(Hex.encode(realm.initialMeasurement) == "311314ab73620350cf758834ae5c65d9e8c2dc7febe6e7d9654bbe864e300d49")
    }

    @Test func sha512BindingAndES256PlatformVerifyWithTrustAnchorList() throws {
        let anchors = try PlatformTrustAnchor.load(Vectors.bytes("ta-02-ok.json"))
        #expect(anchors.count == 1)
        #expect(anchors.first?.instanceID.map(Hex.encode) == "01" + String(repeating: "02", count: 32))
        #expect(anchors.first?.implementationID == [UInt8](repeating: 0, count: 32))
        let token = try CCAToken(decoding: Vectors.bytes("cca-token-02.cbor"))
        #expect(token.platform.algorithm == .es256)
        #expect(token.realmClaims?.publicKeyHashAlgorithm == "sha-512")
        #expect(token.platformClaims.challenge.count == 64)
        let result = CCAVerifier(trustAnchors: anchors).verify(try Vectors.bytes("cca-token-02.cbor"))
        #expect(result.failure == nil, "\(result.failure?.description ?? "")")
        #expect(result.passed == [.decode, .platformSignature, .realmSignature, .binding])
        #expect(result.verifiedToken?.trustAnchor == anchors.first)
    }

    @Test func es256TokenIsRejectedByAP384Key() throws {
        let result = try Vectors.verifier().verify(Vectors.bytes("cca-token-02.cbor"))
        #expect(result.failure?.step == .platformSignature)
        #expect(result.failure?.reason.contains("signed ES256, which needs a P-256 key, but the trusted platform key") == true)
        #expect(result.failure?.reason.hasSuffix("is P-384") == true)
    }

    @Test func badTrustAnchorIsRejectedAsAKey() throws {
        let bytes = try Vectors.bytes("ta-02-bad.json")
        let error = attestationError { () throws(AttestationError) in try PlatformTrustAnchor.load(bytes) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.hasPrefix("trust anchor 0: \"pkey\": reading a JWK public key") == true)
    }

    @Test func bug33IsRejectedForItsBinding() throws {
        let result = try Vectors.verifier().verify(Vectors.bytes("bug-33-repro.cbor"))
        #expect(result.passed == [.decode, .platformSignature, .realmSignature])
        #expect(result.failure?.step == .binding)
        #expect(
            result.failure?.description
                == "binding: the platform challenge 07060504... is not sha-256 of the realm public key (b5973cb6...)")
    }

    @Test func barePlatformTokenVerifies() throws {
        let bytes = try Vectors.bytes("cca_example_platform_token.cbor")
        let token = try CCAToken(decoding: bytes)
        #expect(token.format == .platformOnly)
        #expect(token.realm == nil && token.realmClaims == nil)
        #expect(token.platformClaims.softwareComponents.count == 13)
        let result = try Vectors.verifier().verify(bytes)
        #expect(result.isVerified)
        #expect(result.passed == [.decode, .platformSignature])
        #expect(result.skipped == [.realmSignature, .binding, .freshness])
    }

    @Test func barePlatformTokenIsNotFresh() throws {
        let result = try Vectors.verifier().verify(Vectors.bytes("cca_example_platform_token.cbor"), challenge: [UInt8](repeating: 1, count: 64))
        #expect(result.failure?.step == .freshness)
        #expect(result.failure?.reason.hasPrefix("a bare platform token carries no realm challenge") == true)
    }

    @Test func bareClaimMapsDecode() throws {
        let platform = try PlatformClaims(decoding: Vectors.bytes("platform-claims.cbor"))
        #expect(platform.profile == PlatformClaims.legacyProfile)
        #expect(platform.challenge.count == 64)
        #expect(platform.lifecycle == 0x3000)
        #expect(platform.softwareComponents.count == 2)
        #expect(platform.verificationService == "https://cca_verifier.org")

        let realm = try RealmClaims(decoding: Vectors.bytes("realm-claims.cbor"))
        #expect(realm.profile == nil)
        #expect(realm.publicKey.encoding == .rawPoint)
        #expect(realm.initialMeasurement.count == 32)
    }

    @Test(arguments: ["realm-claims+spurious-numeric-key.cbor", "realm-claims+spurious-text-key.cbor"])
    func unknownClaimsAreIgnored(name: String) throws {
        let plain = try RealmClaims(decoding: Vectors.bytes("realm-claims.cbor"))
        #expect(try RealmClaims(decoding: Vectors.bytes(name)) == plain)
    }

    @Test func missingRealmChallengeIsRejected() throws {
        let bytes = try Vectors.bytes("realm-claims-missing-challenge.cbor")
        let error = attestationError { () throws(AttestationError) in try RealmClaims(decoding: bytes) }
        #expect(error?.code == .missingClaim)
        #expect(error?.claim == 10)
        #expect(error?.message == "mandatory claim 10 (challenge) is missing")
    }
}
