import Attestation
import ByteKit
import OpenSSLKit
import Testing

/// Tokens from the maker verify in every outer form and realm profile, and carry what was asked for.
struct MakerTests {
    static let profiles: [RealmProfile?] = [nil] + RealmProfile.allCases.map(Optional.some)
    static let rakHashes: [Digest] = [.sha256, .sha512]

    static func realmClaims(_ maker: CCATokenMaker, profile: RealmProfile?, rakHash: Digest) -> RealmClaims {
        RealmClaims(
            profile: profile, challenge: [UInt8](repeating: 0x42, count: 64), personalizationValue: [UInt8](repeating: 0x50, count: 64),
            initialMeasurement: [UInt8](repeating: 0x11, count: 48),
            extensibleMeasurements: (1...4).map { [UInt8](repeating: UInt8($0), count: 48) }, hashAlgorithm: "sha-384",
            publicKey: maker.realmPublicKey(for: profile), publicKeyHashAlgorithm: rakHash.name,
            mecPolicy: profile == nil ? nil : .number(0), instanceID: profile == nil ? nil : [0x01] + [UInt8](repeating: 3, count: 32))
    }

    @Test(arguments: [CCATokenFormat.tag399, .tag907], profiles)
    func roundTrip(format: CCATokenFormat, profile: RealmProfile?) throws {
        let maker = try CCATokenMaker(platformKey: Vectors.platformKey(), realmKey: Vectors.realmKey())
        for rakHash in Self.rakHashes {
            let realm = Self.realmClaims(maker, profile: profile, rakHash: rakHash)
            let platform = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor")).platformClaims
            let bytes = try maker.make(platform: platform, realm: realm, format: format)

            let result = try Vectors.verifier().verify(bytes, challenge: realm.challenge)
            #expect(result.failure == nil, "\(result.failure?.description ?? "")")
            #expect(result.passed == VerificationStep.allCases)
            let token = try #require(result.verifiedToken?.token)
            #expect(token.format == format)
            #expect(token.realmClaims == realm)
            #expect(token.realmClaims?.publicKey.encoding == (profile == nil ? .rawPoint : .coseKey))
            #expect(token.realmClaims?.publicKey.claimBytes.count == (profile == nil ? 97 : 107))
            #expect(token.platformClaims.challenge == rakHash.hash(realm.publicKey.claimBytes))
            var expectedPlatform = platform
            expectedPlatform.challenge = token.platformClaims.challenge
            #expect(token.platformClaims == expectedPlatform)
        }
    }

    @Test func barePlatformTokenFromTheMaker() throws {
        let maker = try CCATokenMaker(platformKey: Vectors.platformKey(), realmKey: Vectors.realmKey())
        let platform = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor")).platformClaims
        let bytes = try maker.make(platform: platform, realm: Self.realmClaims(maker, profile: .v2024, rakHash: .sha256), format: .platformOnly)
        let result = try Vectors.verifier().verify(bytes)
        #expect(result.verifiedToken?.token.format == .platformOnly)
        #expect(result.passed == [.decode, .platformSignature])
    }

    @Test(arguments: Curve.allCases)
    func platformKeyOnAnyCurve(curve: Curve) throws {
        let platformKey = ECPrivateKey(generating: curve)
        let token = try SimulatedPlatform.token(platformKey: platformKey, rim: [UInt8](repeating: 1, count: 32), challenge: [1, 2, 3])
        let decoded = try CCAToken(decoding: token)
        #expect(decoded.platform.algorithm == COSEAlgorithm(curve: curve))
        #expect(decoded.realm?.algorithm == .es384)
        let anchor = PlatformTrustAnchor(instanceID: PlatformClaims.instanceID(for: platformKey.publicKey), key: platformKey.publicKey)
        #expect(CCAVerifier(trustAnchors: [anchor]).verify(token, challenge: [1, 2, 3]).passed == VerificationStep.allCases)
    }

    @Test func simulatedToken() throws {
        let platformKey = try Vectors.platformKey()
        let rim = Digest.sha512.hash([1])
        let token = try SimulatedPlatform.token(
            platformKey: platformKey, rim: rim, personalization: [UInt8](repeating: 9, count: 64), challenge: [UInt8](repeating: 7, count: 64),
            format: .tag907, realmProfile: .v2026, rakHash: .sha512)
        let decoded = try CCAToken(decoding: token)
        #expect(decoded.format == .tag907)
        #expect(decoded.platformClaims.instanceID == PlatformClaims.instanceID(for: platformKey.publicKey))
        #expect(decoded.platformClaims.implementationID == SimulatedPlatform.implementationID)
        #expect(decoded.platformClaims.lifecycleState == "secured")
        #expect(decoded.platformClaims.challenge.count == 64)
        let realm = try #require(decoded.realmClaims)
        #expect(realm.profile == .v2026)
        #expect(realm.initialMeasurement == rim)
        #expect(realm.hashAlgorithm == "sha-512")
        #expect(realm.extensibleMeasurements == Array(repeating: [UInt8](repeating: 0, count: 64), count: 4))
        #expect(realm.personalizationValue == [UInt8](repeating: 9, count: 64))
        #expect(realm.publicKeyHashAlgorithm == "sha-512")
        #expect(try Vectors.verifier().verify(token, challenge: [UInt8](repeating: 7, count: 64)).isVerified)
    }

    @Test func makerRefusals() throws {
        let platformKey = try Vectors.platformKey()
        var error = attestationError { () throws(AttestationError) in
            try SimulatedPlatform.token(platformKey: platformKey, rim: [1, 2, 3], challenge: [1])
        }
        #expect(error == AttestationError(.wrongSize, claim: 44238, "the initial measurement has 3 bytes, expected 32, 48 or 64 (a SHA-2 hash)"))
        error = attestationError { () throws(AttestationError) in
            try SimulatedPlatform.token(platformKey: platformKey, rim: [UInt8](repeating: 0, count: 32), challenge: [])
        }
        #expect(error == AttestationError(.wrongSize, claim: 10, "the challenge has 0 bytes, expected 1 to 64"))
        error = attestationError { () throws(AttestationError) in
            try SimulatedPlatform.token(
                platformKey: platformKey, rim: [UInt8](repeating: 0, count: 32), rems: [[1]], challenge: [1])
        }
        #expect(error == AttestationError(.wrongSize, claim: 44239, "realm claims: claim 44239 (extensible measurements) has 1 item, expected 4"))

        let maker = try CCATokenMaker(platformKey: platformKey, realmKey: Vectors.realmKey())
        let platform = try CCAToken(decoding: Vectors.bytes("cca-token-01.cbor")).platformClaims
        var realm = Self.realmClaims(maker, profile: nil, rakHash: .sha256)
        realm.publicKeyHashAlgorithm = "md5"
        error = attestationError { () throws(AttestationError) in try maker.make(platform: platform, realm: realm, format: .tag399) }
        #expect(error?.code == .unsupportedAlgorithm)
        realm = Self.realmClaims(maker, profile: nil, rakHash: .sha256)
        realm.publicKey = RealmPublicKey(key: platformKey.publicKey, encoding: .rawPoint)
        error = attestationError { () throws(AttestationError) in try maker.make(platform: platform, realm: realm, format: .tag399) }
        #expect(error == AttestationError(.invalidKey, claim: 44237, "the realm claims carry a RAK that is not the realm key's public key"))
    }

    @Test func realmChallengeOfThisProject() throws {
        let key = try Vectors.realmKey().publicKey
        let nonce = [UInt8](repeating: 0xee, count: 32)
        let challenge = RealmChallenge.binding(nonce: nonce, publicKey: key)
        #expect(challenge.count == 64)
        #expect(challenge == Digest.sha512.hash(nonce + key.spkiDER))
        #expect(key.spkiDER.count == 120)
        #expect(RealmChallenge.padded([1]) == [1] + [UInt8](repeating: 0, count: 63))
        #expect(RealmChallenge.padded([]) == nil)
        #expect(RealmChallenge.padded([UInt8](repeating: 1, count: 65)) == nil)
    }

    @Test func formatAndProfileNames() {
        #expect(CCATokenFormat(name: "399") == .tag399)
        #expect(CCATokenFormat(name: "tag-907") == .tag907)
        #expect(CCATokenFormat(name: "18") == nil)
        #expect(RealmProfile(name: "2024") == .v2024)
        #expect(RealmProfile(name: "tag:arm.com,2023:realm#1.0.0") == .v2023)
        #expect(RealmProfile(name: "2025") == nil)
    }
}
