import ByteKit
public import OpenSSLKit

/// The platform of the simulated attester: fixed platform claims around a platform key that lives in a
/// file rather than in hardware. It gives the real protocol and checks, but no protection from the host.
public enum SimulatedPlatform {
    /// The implementation ID every simulated platform reports: SHA-256 of "ConfidentialML simulated CCA platform".
    public static let implementationID = Digest.sha256.hash(Array("ConfidentialML simulated CCA platform".utf8))

    /// Platform claims for `key`: instance ID `0x01 || SHA-256(raw point)`, lifecycle "secured", and one
    /// software component, the simulator itself. The challenge is left empty for the maker to fill in.
    public static func claims(for key: ECPublicKey) -> PlatformClaims {
        let simulator = SoftwareComponent(
            type: "cml-sim", measurement: implementationID, version: "1", signerID: Digest.sha256.hash(key.rawPoint),
            hashAlgorithm: "sha-256")
        return PlatformClaims(
            profile: PlatformClaims.profile2023, challenge: [], implementationID: implementationID,
            instanceID: PlatformClaims.instanceID(for: key), config: [], lifecycle: 0x3000, softwareComponents: [simulator],
            hashAlgorithm: "sha-256")
    }

    /// A complete token for a realm with initial measurement `rim`, as the simulated attester makes it.
    ///
    /// `rems` default to four zero measurements the size of `rim`, `personalization` to 64 zero bytes;
    /// a `challenge` shorter than 64 bytes is zero-padded. The RAK is a fresh P-384 key unless given.
    public static func token(
        platformKey: ECPrivateKey, realmKey: ECPrivateKey = ECPrivateKey(generating: .p384), rim: [UInt8],
        rems: [[UInt8]]? = nil, personalization: [UInt8]? = nil, challenge: [UInt8], format: CCATokenFormat = .tag399,
        realmProfile: RealmProfile? = .v2024, rakHash: Digest = .sha256
    ) throws(AttestationError) -> [UInt8] {
        guard let measurementHash = Digest.allCases.first(where: { $0.size == rim.count }) else {
            throw AttestationError(
                .wrongSize, claim: RealmClaims.Keys.initialMeasurement.key,
                "the initial measurement has \(quantity(rim.count, "byte")), expected 32, 48 or 64 (a SHA-2 hash)")
        }
        guard let paddedChallenge = RealmChallenge.padded(challenge) else {
            throw AttestationError(
                .wrongSize, claim: RealmClaims.Keys.challenge.key, "the challenge has \(quantity(challenge.count, "byte")), expected 1 to 64")
        }
        let maker = CCATokenMaker(platformKey: platformKey, realmKey: realmKey)
        let realm = RealmClaims(
            profile: realmProfile, challenge: paddedChallenge,
            personalizationValue: personalization ?? [UInt8](repeating: 0, count: 64), initialMeasurement: rim,
            extensibleMeasurements: rems ?? Array(repeating: [UInt8](repeating: 0, count: rim.count), count: 4),
            hashAlgorithm: measurementHash.name, publicKey: maker.realmPublicKey(for: realmProfile),
            publicKeyHashAlgorithm: rakHash.name)
        return try maker.make(platform: claims(for: platformKey.publicKey), realm: realm, format: format)
    }
}
