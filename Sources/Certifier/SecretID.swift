import Policy

/// A secret the certifier keeps for a role, such as the runtime's `sealing` key: `ROLE:NAME`.
public struct SecretID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The role it is released to.
    public let role: String
    /// Its name within the role.
    public let name: String

    /// The secrets `cml-certifier init` makes unless told otherwise: the runtime's sealing key.
    public static let defaults = [SecretID(checked: Role.runtime.rawValue, "sealing")]

    /// A secret id; throws if either part is not a plain name (they become file names).
    public init(role: String, name: String) throws(CertifierError) {
        for (part, value) in [("role", role), ("name", name)] where !SecretName.isValid(value) {
            throw CertifierError(.invalidSetting, "secret \(part) \"\(value)\" \(SecretName.rule)")
        }
        self.role = role
        self.name = name
    }

    /// An id from names known to be plain.
    private init(checked role: String, _ name: String) {
        self.role = role
        self.name = name
    }

    /// Reads `ROLE:NAME`.
    public init(parsing text: String) throws(CertifierError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw CertifierError(.invalidSetting, "secret \"\(text)\" is not ROLE:NAME (e.g. runtime:sealing)") }
        try self.init(role: String(parts[0]), name: String(parts[1]))
    }

    /// `role:name`.
    public var description: String { "\(role):\(name)" }

    /// Orders by role, then name.
    public static func < (left: SecretID, right: SecretID) -> Bool {
        (left.role, left.name) < (right.role, right.name)
    }
}
