/// A platform whose attestation key the policy trusts (a CCA CPAK/IAK, or the simulated platform key).
public struct TrustedPlatform: Codable, Hashable, Sendable {
    /// The platform's instance ID claim: 0x01 followed by the hash of its public key (33 bytes).
    public var instanceID: HexBytes
    /// The platform's implementation ID claim, when the policy pins it.
    public var implementationID: HexBytes?
    /// The platform's public key as a PEM SubjectPublicKeyInfo.
    public var publicKey: String
    /// What this platform is, for people reading the policy.
    public var description: String?

    /// A trusted platform with this instance ID and PEM public key.
    public init(instanceID: HexBytes, implementationID: HexBytes? = nil, publicKey: String, description: String? = nil) {
        self.instanceID = instanceID
        self.implementationID = implementationID
        self.publicKey = publicKey
        self.description = description
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "instance-id"
        case implementationID = "implementation-id"
        case publicKey = "public-key"
        case description
    }
}
