import ByteKit

/// What a status page shows of the policy in force: its name, the SHA-256 of the signed policy, and
/// each role with its accepted measurements. All of it is public in the policy itself; secret names and
/// platform keys are left out.
public struct PolicySummary: Encodable, Sendable, Equatable {
    /// One role and the realm initial measurements that admit a program to it.
    public struct RoleMeasurements: Encodable, Sendable, Equatable {
        /// The role's name, e.g. "runtime".
        public let role: String
        /// The accepted measurements, in hex.
        public let measurements: [String]
    }

    /// The policy's name ("unnamed" when it has none).
    public let name: String
    /// The SHA-256 of the signed policy's bytes, in hex; empty when not known.
    public let sha256: String
    /// The roles, by name.
    public let roles: [RoleMeasurements]

    /// The summary of `document`, whose signed bytes hash to `sha256`.
    public init(document: PolicyDocument, sha256: [UInt8]) {
        name = document.name ?? "unnamed"
        self.sha256 = Hex.encode(sha256)
        roles = document.roles.keys.sorted().map { role in
            RoleMeasurements(role: role, measurements: (document.roles[role]?.initialMeasurements ?? []).map { Hex.encode($0.bytes) })
        }
    }
}
