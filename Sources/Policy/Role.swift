/// A role in a domain, e.g. `device`: the name a policy lists, an admission certificate states, and a
/// server admits. Every role name is checked here, once: 1 to 64 lowercase ASCII letters and hyphens.
///
/// Roles become certificate names, file names and log fields, so the rule keeps them short and plain.
public struct Role: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The longest role name.
    public static let maximumLength = 64

    /// The certifier, which admits the others (its own certificate records no measurement).
    public static let certifier = Role(checked: "certifier")
    /// The ML runtime in a realm, which holds the model.
    public static let runtime = Role(checked: "runtime")
    /// The model provider, which sends models to the runtime.
    public static let provider = Role(checked: "provider")
    /// The data owner's device, which trains with the runtime or federates.
    public static let device = Role(checked: "device")

    /// The name, e.g. "device".
    public let rawValue: String

    /// The role named `rawValue`; nil unless it is 1 to 64 lowercase ASCII letters and hyphens.
    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A role whose name is known to follow the rule.
    private init(checked name: String) {
        rawValue = name
    }

    /// Whether `name` can name a role: 1 to 64 lowercase ASCII letters and hyphens.
    public static func isValid(_ name: String) -> Bool {
        (1...maximumLength).contains(name.utf8.count)
            && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Decodes a role name, refusing one that does not follow the rule.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let role = Role(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(name)\" is not a role name (1 to \(Self.maximumLength) lowercase letters and hyphens)")
        }
        self = role
    }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Orders by name.
    public static func < (left: Role, right: Role) -> Bool {
        left.rawValue < right.rawValue
    }

    /// The name, e.g. "device".
    public var description: String { rawValue }
}
