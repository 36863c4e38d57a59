/// The reference values that admit a program to one role, and what the certifier releases to it.
public struct RolePolicy: Codable, Hashable, Sendable {
    /// Accepted realm initial measurements (RIM); one must match.
    public var initialMeasurements: [HexBytes]
    /// Accepted sets of the four realm extensible measurements; when present, one set must match.
    public var extensibleMeasurements: [[HexBytes]]?
    /// The required realm personalization value, when present.
    public var personalizationValue: HexBytes?
    /// Names of the secrets released to this role on admission (each a 32-byte random value the certifier keeps).
    public var secrets: [String]

    /// A role's reference values and secrets; the optional ones are not checked when nil.
    public init(
        initialMeasurements: [HexBytes], extensibleMeasurements: [[HexBytes]]? = nil,
        personalizationValue: HexBytes? = nil, secrets: [String] = []
    ) {
        self.initialMeasurements = initialMeasurements
        self.extensibleMeasurements = extensibleMeasurements
        self.personalizationValue = personalizationValue
        self.secrets = secrets
    }

    enum CodingKeys: String, CodingKey {
        case initialMeasurements = "initial-measurements"
        case extensibleMeasurements = "extensible-measurements"
        case personalizationValue = "personalization-value"
        case secrets
    }

    /// Reads the JSON form; `secrets` defaults to none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        initialMeasurements = try container.decode([HexBytes].self, forKey: .initialMeasurements)
        extensibleMeasurements = try container.decodeIfPresent([[HexBytes]].self, forKey: .extensibleMeasurements)
        personalizationValue = try container.decodeIfPresent(HexBytes.self, forKey: .personalizationValue)
        secrets = try container.decodeIfPresent([String].self, forKey: .secrets) ?? []
    }
}
