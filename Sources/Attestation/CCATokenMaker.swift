import CBORKit
public import OpenSSLKit

/// Builds CCA attestation tokens from keys and claims: for the simulated attester and for tests.
///
/// The platform token is signed with the platform key and the realm token with the realm attestation
/// key (RAK); the platform challenge is always set to the hash of the RAK claim bytes, so a token from
/// the maker passes the binding step by construction.
public struct CCATokenMaker: Sendable {
    /// The platform attestation key (CPAK/IAK) that signs the platform token.
    public let platformKey: ECPrivateKey
    /// The realm attestation key (RAK) that signs the realm token.
    public let realmKey: ECPrivateKey

    /// A maker signing with these keys.
    public init(platformKey: ECPrivateKey, realmKey: ECPrivateKey) {
        self.platformKey = platformKey
        self.realmKey = realmKey
    }

    /// The RAK claim for `profile`: a raw point for the legacy format (nil), a COSE_Key for the profiled ones.
    public func realmPublicKey(for profile: RealmProfile?) -> RealmPublicKey {
        RealmPublicKey(key: realmKey.publicKey, encoding: profile == nil ? .rawPoint : .coseKey)
    }

    /// The token for these claims in `format`. `realm.publicKey` must be the realm key's (see
    /// `realmPublicKey(for:)`); `platform.challenge` is replaced by the RAK's binding hash.
    /// For `.platformOnly` the result is the platform COSE_Sign1 alone.
    public func make(platform: PlatformClaims, realm: RealmClaims, format: CCATokenFormat) throws(AttestationError) -> [UInt8] {
        guard realm.publicKey.key == realmKey.publicKey else {
            throw AttestationError(.invalidKey, claim: RealmClaims.Keys.publicKey.key, "the realm claims carry a RAK that is not the realm key's public key")
        }
        guard let digest = realm.publicKeyDigest else {
            throw AttestationError(
                .unsupportedAlgorithm, claim: RealmClaims.Keys.publicKeyHashAlgorithm.key,
                "\(RealmClaims.Keys.publicKeyHashAlgorithm) \(quotedClaim(realm.publicKeyHashAlgorithm)) is not sha-256, sha-384 or sha-512")
        }
        var platform = platform
        platform.challenge = realm.publicKey.bindingHash(digest)
        // Reading the claims back refuses wrong sizes with the same messages the decoder gives.
        do {
            _ = try PlatformClaims(claims: platform.cborMap)
        } catch {
            throw error.within("platform claims")
        }
        do {
            _ = try RealmClaims(claims: realm.cborMap)
        } catch {
            throw error.within("realm claims")
        }
        let platformToken = try COSESign1.sign(payload: platform.encoded, key: platformKey)
        if format == .platformOnly { return platformToken.encoded }
        let realmToken = try COSESign1.sign(payload: realm.encoded, key: realmKey)
        return Self.assemble(platform: platformToken.encoded, realm: realmToken.encoded, format: format)
    }

    /// Wraps two encoded COSE_Sign1 messages in the outer form of `format` (tag 399 or 907); for
    /// `.platformOnly` returns `platform` unchanged. Nothing is checked: tests use this to splice tokens.
    public static func assemble(platform: [UInt8], realm: [UInt8], format: CCATokenFormat) -> [UInt8] {
        let platformKey = CBORValue(CCAToken.platformKey)
        let realmKey = CBORValue(CCAToken.realmKey)
        let collection: CBORMap
        switch format {
        case .platformOnly:
            return platform
        case .tag399:
            collection = [platformKey: .bytes(platform), realmKey: .bytes(realm)]
        case .tag907:
            let contentFormat = CBORValue.unsigned(CCAToken.eatContentFormat)
            collection = [platformKey: [contentFormat, .bytes(platform)], realmKey: [contentFormat, .bytes(realm)]]
        }
        return CBOREncoder.encode(.tagged(format.tag ?? 0, .map(collection)), preservingMapOrder: true)
    }
}
