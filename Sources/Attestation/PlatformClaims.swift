public import CBORKit
public import OpenSSLKit

/// The claims of a CCA platform token: what the platform firmware measured, and the platform's identity.
public struct PlatformClaims: Sendable, Hashable {
    /// Claim 265: the platform profile, e.g. `tag:arm.com,2023:cca_platform#1.0.0`.
    public var profile: String
    /// Claim 10: 32, 48 or 64 bytes, the hash of the realm attestation key's claim bytes.
    public var challenge: [UInt8]
    /// Claim 2396: 32 bytes naming the platform's implementation (its firmware and hardware).
    public var implementationID: [UInt8]
    /// Claim 256: 33 bytes, 0x01 and a hash identifying the platform key.
    public var instanceID: [UInt8]
    /// Claim 2401: the platform configuration.
    public var config: [UInt8]
    /// Claim 2395: the PSA security lifecycle; 0x3000-0x30ff is "secured".
    public var lifecycle: UInt16
    /// Claim 2399: the measured software components.
    public var softwareComponents: [SoftwareComponent]
    /// Claim 2400: where to verify the token (optional).
    public var verificationService: String?
    /// Claim 2402: the hash algorithm of the platform's measurements, e.g. "sha-256".
    public var hashAlgorithm: String

    /// The platform claims' keys and names.
    public enum Keys {
        /// Claim 265, profile.
        public static let profile = Claim(265, "profile")
        /// Claim 10, challenge.
        public static let challenge = Claim(10, "challenge")
        /// Claim 2396, implementation ID.
        public static let implementationID = Claim(2396, "implementation ID")
        /// Claim 256, instance ID.
        public static let instanceID = Claim(256, "instance ID")
        /// Claim 2401, config.
        public static let config = Claim(2401, "config")
        /// Claim 2395, security lifecycle.
        public static let lifecycle = Claim(2395, "security lifecycle")
        /// Claim 2399, software components.
        public static let softwareComponents = Claim(2399, "software components")
        /// Claim 2400, verification service.
        public static let verificationService = Claim(2400, "verification service")
        /// Claim 2402, hash algorithm ID.
        public static let hashAlgorithm = Claim(2402, "hash algorithm ID")
    }

    /// The platform profile of legacy tokens (TF-RMM before the IETF draft).
    public static let legacyProfile = "http://arm.com/CCA-SSD/1.0.0"
    /// The platform profile of draft-ffm-rats-cca-token.
    public static let profile2023 = "tag:arm.com,2023:cca_platform#1.0.0"

    /// Claims with these values.
    public init(
        profile: String = PlatformClaims.profile2023, challenge: [UInt8], implementationID: [UInt8], instanceID: [UInt8],
        config: [UInt8], lifecycle: UInt16, softwareComponents: [SoftwareComponent], verificationService: String? = nil,
        hashAlgorithm: String = "sha-256"
    ) {
        self.profile = profile
        self.challenge = challenge
        self.implementationID = implementationID
        self.instanceID = instanceID
        self.config = config
        self.lifecycle = lifecycle
        self.softwareComponents = softwareComponents
        self.verificationService = verificationService
        self.hashAlgorithm = hashAlgorithm
    }

    /// Decodes a platform token payload: a map holding every mandatory claim; unknown claims are ignored.
    public init(decoding payload: [UInt8], decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        try self.init(reader: ClaimReader(payload: payload, decoder: decoder))
    }

    /// Reads the claims from a decoded claims map.
    public init(claims: CBORMap) throws(AttestationError) {
        try self.init(reader: ClaimReader(claims: claims))
    }

    private init(reader: ClaimReader) throws(AttestationError) {
        profile = try reader.text(Keys.profile)
        challenge = try reader.bytes(Keys.challenge, sizes: [32, 48, 64])
        implementationID = try reader.bytes(Keys.implementationID, sizes: [32])
        instanceID = try reader.bytes(Keys.instanceID, sizes: [33])
        guard instanceID[0] == 0x01 else {
            throw AttestationError(
                .invalidValue, claim: Keys.instanceID.key,
                "\(Keys.instanceID) starts with 0x\(String(instanceID[0], radix: 16)), expected 0x01 (a hash of the platform key)")
        }
        config = try reader.bytes(Keys.config)
        let lifecycle = try reader.unsigned(Keys.lifecycle)
        guard let state = UInt16(exactly: lifecycle) else {
            throw AttestationError(.invalidValue, claim: Keys.lifecycle.key, "\(Keys.lifecycle) is \(lifecycle), more than 16 bits")
        }
        self.lifecycle = state
        var components: [SoftwareComponent] = []
        for (index, item) in try reader.array(Keys.softwareComponents).enumerated() {
            do {
                components.append(try SoftwareComponent(decoding: item))
            } catch {
                throw error.within("\(Keys.softwareComponents) item \(index)", claim: Keys.softwareComponents.key)
            }
        }
        softwareComponents = components
        verificationService = try reader.optionalText(Keys.verificationService)
        hashAlgorithm = try reader.text(Keys.hashAlgorithm)
    }

    /// The claims as a map, in the order TF-RMM writes them.
    public var cborMap: CBORMap {
        var claims = CBORMap()
        claims[int: Keys.profile.key] = .text(profile)
        claims[int: Keys.challenge.key] = .bytes(challenge)
        claims[int: Keys.implementationID.key] = .bytes(implementationID)
        claims[int: Keys.instanceID.key] = .bytes(instanceID)
        claims[int: Keys.config.key] = .bytes(config)
        claims[int: Keys.lifecycle.key] = .unsigned(UInt64(lifecycle))
        claims[int: Keys.softwareComponents.key] = .array(softwareComponents.map(\.cborValue))
        if let verificationService { claims[int: Keys.verificationService.key] = .text(verificationService) }
        claims[int: Keys.hashAlgorithm.key] = .text(hashAlgorithm)
        return claims
    }

    /// The payload bytes of a platform token with these claims.
    public var encoded: [UInt8] {
        CBOREncoder.encode(.map(cborMap), preservingMapOrder: true)
    }

    /// The lifecycle in words, e.g. "secured" (PSA security lifecycle ranges).
    public var lifecycleState: String {
        switch lifecycle >> 8 {
        case 0x00: "unknown"
        case 0x10: "assembly and test"
        case 0x20: "PSA RoT provisioning"
        case 0x30: "secured"
        case 0x40: "non-PSA RoT debug"
        case 0x50: "recoverable PSA RoT debug"
        case 0x60: "decommissioned"
        default: "invalid"
        }
    }

    /// The instance ID this project gives a platform key: 0x01 followed by SHA-256 of the raw point.
    public static func instanceID(for key: ECPublicKey) -> [UInt8] {
        [0x01] + Digest.sha256.hash(key.rawPoint)
    }
}
