public import CBORKit
public import OpenSSLKit

/// The claims of a CCA realm token: the realm's measurements, its attestation key, and the fresh challenge.
public struct RealmClaims: Sendable, Hashable {
    /// Claim 265: the realm profile; nil for the legacy format, which has no such claim.
    public var profile: RealmProfile?
    /// Claim 10: the 64-byte challenge the realm was asked to attest with.
    public var challenge: [UInt8]
    /// Claim 44235: the 64-byte personalization value given at realm creation.
    public var personalizationValue: [UInt8]
    /// Claim 44238: the realm initial measurement (RIM), 32, 48 or 64 bytes.
    public var initialMeasurement: [UInt8]
    /// Claim 44239: the four realm extensible measurements (REMs).
    public var extensibleMeasurements: [[UInt8]]
    /// Claim 44236: the hash algorithm of the measurements, e.g. "sha-256".
    public var hashAlgorithm: String
    /// Claim 44237: the realm attestation key (RAK), with its exact claim bytes.
    public var publicKey: RealmPublicKey
    /// Claim 44240: the hash algorithm that binds the RAK to the platform challenge, e.g. "sha-256".
    public var publicKeyHashAlgorithm: String
    /// Claim 44243: the MEC policy (newer tokens only).
    public var mecPolicy: MECPolicy?
    /// Claim 256: the realm instance ID, 33 bytes (newer tokens only).
    public var instanceID: [UInt8]?

    /// The realm claims' keys and names.
    public enum Keys {
        /// Claim 265, profile.
        public static let profile = Claim(265, "profile")
        /// Claim 10, challenge.
        public static let challenge = Claim(10, "challenge")
        /// Claim 44235, personalization value.
        public static let personalizationValue = Claim(44235, "personalization value")
        /// Claim 44238, initial measurement.
        public static let initialMeasurement = Claim(44238, "initial measurement")
        /// Claim 44239, extensible measurements.
        public static let extensibleMeasurements = Claim(44239, "extensible measurements")
        /// Claim 44236, hash algorithm ID.
        public static let hashAlgorithm = Claim(44236, "hash algorithm ID")
        /// Claim 44237, realm public key.
        public static let publicKey = RealmPublicKey.claim
        /// Claim 44240, public key hash algorithm ID.
        public static let publicKeyHashAlgorithm = Claim(44240, "public key hash algorithm ID")
        /// Claim 44243, MEC policy.
        public static let mecPolicy = Claim(44243, "MEC policy")
        /// Claim 256, instance ID.
        public static let instanceID = Claim(256, "instance ID")
    }

    /// The sizes a measurement may have: SHA-256, SHA-384 or SHA-512 outputs.
    static let measurementSizes = [32, 48, 64]

    /// Claims with these values.
    public init(
        profile: RealmProfile?, challenge: [UInt8], personalizationValue: [UInt8], initialMeasurement: [UInt8],
        extensibleMeasurements: [[UInt8]], hashAlgorithm: String, publicKey: RealmPublicKey,
        publicKeyHashAlgorithm: String = "sha-256", mecPolicy: MECPolicy? = nil, instanceID: [UInt8]? = nil
    ) {
        self.profile = profile
        self.challenge = challenge
        self.personalizationValue = personalizationValue
        self.initialMeasurement = initialMeasurement
        self.extensibleMeasurements = extensibleMeasurements
        self.hashAlgorithm = hashAlgorithm
        self.publicKey = publicKey
        self.publicKeyHashAlgorithm = publicKeyHashAlgorithm
        self.mecPolicy = mecPolicy
        self.instanceID = instanceID
    }

    /// Decodes a realm token payload: a map holding every mandatory claim; unknown claims are ignored.
    public init(decoding payload: [UInt8], decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        try self.init(reader: ClaimReader(payload: payload, decoder: decoder), decoder: decoder)
    }

    /// Reads the claims from a decoded claims map.
    public init(claims: CBORMap, decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        try self.init(reader: ClaimReader(claims: claims), decoder: decoder)
    }

    private init(reader: ClaimReader, decoder: CBORDecoder) throws(AttestationError) {
        if let value = reader.optional(Keys.profile) {
            let name = try ClaimReader.text(value, of: Keys.profile)
            guard let profile = RealmProfile(rawValue: name) else {
                let known = RealmProfile.allCases.map(\.rawValue).joined(separator: ", ")
                throw AttestationError(.invalidValue, claim: Keys.profile.key, "\(Keys.profile) \(quotedClaim(name)) is not a known realm profile (\(known))")
            }
            self.profile = profile
        } else {
            profile = nil
        }
        challenge = try reader.bytes(Keys.challenge, sizes: [64])
        personalizationValue = try reader.bytes(Keys.personalizationValue, sizes: [64])
        initialMeasurement = try reader.bytes(Keys.initialMeasurement, sizes: Self.measurementSizes)
        var measurements: [[UInt8]] = []
        for (index, item) in try reader.array(Keys.extensibleMeasurements, count: 4).enumerated() {
            measurements.append(try ClaimReader.bytes(item, of: Keys.extensibleMeasurements, sizes: Self.measurementSizes, item: "item \(index)"))
        }
        extensibleMeasurements = measurements
        hashAlgorithm = try reader.text(Keys.hashAlgorithm)
        publicKey = try RealmPublicKey(claimBytes: reader.bytes(Keys.publicKey), decoder: decoder)
        publicKeyHashAlgorithm = try reader.text(Keys.publicKeyHashAlgorithm)
        switch reader.optional(Keys.mecPolicy) {
        case nil: mecPolicy = nil
        case .text(let name)?: mecPolicy = .named(name)
        case .unsigned(let number)?: mecPolicy = .number(number)
        case let other?: throw ClaimReader.wrongType(other, of: Keys.mecPolicy, expected: "a text string or an unsigned integer")
        }
        instanceID = try reader.optionalBytes(Keys.instanceID, sizes: [33])
    }

    /// The hash that binds the RAK, from claim 44240; nil if it names a hash this verifier does not know.
    public var publicKeyDigest: Digest? {
        Digest(name: publicKeyHashAlgorithm)
    }

    /// The claims as a map, in the order TF-RMM writes them.
    public var cborMap: CBORMap {
        var claims = CBORMap()
        if let profile { claims[int: Keys.profile.key] = .text(profile.rawValue) }
        claims[int: Keys.challenge.key] = .bytes(challenge)
        if let instanceID { claims[int: Keys.instanceID.key] = .bytes(instanceID) }
        claims[int: Keys.hashAlgorithm.key] = .text(hashAlgorithm)
        claims[int: Keys.publicKeyHashAlgorithm.key] = .text(publicKeyHashAlgorithm)
        claims[int: Keys.personalizationValue.key] = .bytes(personalizationValue)
        claims[int: Keys.publicKey.key] = .bytes(publicKey.claimBytes)
        claims[int: Keys.initialMeasurement.key] = .bytes(initialMeasurement)
        switch mecPolicy {
        case nil: break
        case .named(let name)?: claims[int: Keys.mecPolicy.key] = .text(name)
        case .number(let number)?: claims[int: Keys.mecPolicy.key] = .unsigned(number)
        }
        claims[int: Keys.extensibleMeasurements.key] = .array(extensibleMeasurements.map { .bytes($0) })
        return claims
    }

    /// The payload bytes of a realm token with these claims.
    public var encoded: [UInt8] {
        CBOREncoder.encode(.map(cborMap), preservingMapOrder: true)
    }
}
