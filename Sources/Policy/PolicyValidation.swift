extension PolicyDocument {
    /// The longest admission certificate lifetime a policy may ask for: 30 days.
    public static let maximumAdmissionLifetimeSeconds = 30 * 24 * 3600
    /// The longest nonce lifetime a policy may ask for: one hour.
    public static let maximumNonceLifetimeSeconds = 3600
    /// The longest revocation poll interval: an hour (a revoked peer is refused within it).
    public static let maximumRevocationPollSeconds = 3600
    /// The highest cap on admissions per platform and hour: the certifier remembers each admission of
    /// the last hour, so the cap bounds that memory per platform.
    public static let maximumAdmissionsPerPlatformPerHour = 100_000

    /// Checks what JSON types alone cannot: known format, sizes, references between parts, sane ranges,
    /// secret names. It is the one check of a policy: `cml-policy generate` and
    /// `sign`, the certifier and every role run it, so what the signer signs the certifier serves.
    public func validate() throws(PolicyError) {
        guard format == Self.formatName else {
            throw PolicyError(path: "format", "is \"\(format)\", expected \"\(Self.formatName)\"")
        }
        guard version == Self.currentVersion else {
            throw PolicyError(path: "version", "is \(version); this program understands version \(Self.currentVersion)")
        }
        if let federation, !FederationID.isValid(federation) {
            throw PolicyError(path: "federation", "\(federation.debugDescription) \(FederationID.rule)")
        }
        guard !roles.isEmpty else { throw PolicyError(path: "roles", "names no role") }
        for (name, role) in roles.sorted(by: { $0.key < $1.key }) {
            try Self.validate(role: role, named: name)
        }
        guard !platforms.isEmpty else { throw PolicyError(path: "platforms", "trusts no platform key") }
        for (index, platform) in platforms.enumerated() {
            let instance = platform.instanceID.bytes
            guard instance.count == 33, instance.first == 0x01 else {
                throw PolicyError(
                    path: "platforms[\(index)].instance-id", "must be 33 bytes beginning with 01 (has \(instance.count))")
            }
            guard platform.publicKey.contains("-----BEGIN PUBLIC KEY-----") else {
                throw PolicyError(path: "platforms[\(index)].public-key", "is not a PEM public key")
            }
        }
        for (index, rule) in channels.enumerated() {
            for (side, role) in [("from", rule.from), ("to", rule.to)] where roles[role] == nil {
                throw PolicyError(path: "channels[\(index)].\(side)", "names role \"\(role)\", which the policy does not define")
            }
        }
        guard (1...Self.maximumAdmissionLifetimeSeconds).contains(admissionLifetimeSeconds) else {
            throw PolicyError(
                path: "admission-lifetime-seconds",
                "is \(admissionLifetimeSeconds); it must be between 1 and \(Self.maximumAdmissionLifetimeSeconds)")
        }
        guard (1...Self.maximumNonceLifetimeSeconds).contains(nonceLifetimeSeconds) else {
            throw PolicyError(
                path: "nonce-lifetime-seconds",
                "is \(nonceLifetimeSeconds); it must be between 1 and \(Self.maximumNonceLifetimeSeconds)")
        }
        if let poll = revocationPollSeconds, !(1...Self.maximumRevocationPollSeconds).contains(poll) {
            throw PolicyError(
                path: "revocation-poll-seconds",
                "is \(poll); it must be between 1 and \(Self.maximumRevocationPollSeconds), or absent for \(Self.defaultRevocationPollSeconds)")
        }
        for (index, range) in (platformReference?.lifecycles ?? []).enumerated() where range.min > range.max {
            throw PolicyError(
                path: "platform-reference.lifecycles[\(index)]", "min \(range.min) is above max \(range.max): the range holds no state")
        }
        if let cap = maxAdmissionsPerPlatformPerHour, !(1...Self.maximumAdmissionsPerPlatformPerHour).contains(cap) {
            throw PolicyError(
                path: "max-admissions-per-platform-per-hour",
                "is \(cap); it must be between 1 and \(Self.maximumAdmissionsPerPlatformPerHour), or absent for no cap")
        }
        if let federated { try federated.validate() }
        if let limits { try limits.validate() }
    }

    private static func validate(role: RolePolicy, named name: String) throws(PolicyError) {
        let path = "roles.\(name)"
        guard Role(rawValue: name) != nil else {
            throw PolicyError(path: path, "a role name must be 1 to \(Role.maximumLength) lowercase letters and hyphens")
        }
        guard name != Role.certifier.rawValue else {
            throw PolicyError(path: path, "is reserved: only the certifier holds the role \"\(Role.certifier)\"")
        }
        for (index, secret) in role.secrets.enumerated() where !SecretName.isValid(secret) {
            throw PolicyError(path: "\(path).secrets[\(index)]", "\(secret.debugDescription) \(SecretName.rule)")
        }
        guard !role.initialMeasurements.isEmpty else {
            throw PolicyError(path: "\(path).initial-measurements", "lists no measurement")
        }
        for (index, measurement) in role.initialMeasurements.enumerated() where ![32, 48, 64].contains(measurement.bytes.count) {
            throw PolicyError(
                path: "\(path).initial-measurements[\(index)]", "has \(measurement.bytes.count) bytes, expected 32, 48 or 64")
        }
        for (index, set) in (role.extensibleMeasurements ?? []).enumerated() where set.count != 4 {
            throw PolicyError(path: "\(path).extensible-measurements[\(index)]", "has \(set.count) values, expected 4")
        }
        if let value = role.personalizationValue, value.bytes.count != 64 {
            throw PolicyError(path: "\(path).personalization-value", "has \(value.bytes.count) bytes, expected 64")
        }
    }
}
