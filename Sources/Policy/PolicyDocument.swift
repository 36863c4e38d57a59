import Foundation

/// The policy of a ConfidentialML domain: who may take part, in which role, and on what terms.
/// Its JSON form is described in docs/policy.md.
public struct PolicyDocument: Codable, Hashable, Sendable {
    /// The value of the `format` key.
    public static let formatName = "cml-policy"
    /// The only `version` this code understands.
    public static let currentVersion = 1

    /// Always `formatName`; `validate()` refuses another.
    public var format: String
    /// Always `currentVersion`; `validate()` refuses another.
    public var version: Int
    /// A name for people, such as "demo (ML mode)".
    public var name: String?
    /// The federation whose sealed state the certifier anchors (docs/freshness.md); nil: `name`, if it
    /// is a federation id, else "default". Kept across policy changes and runtime upgrades.
    public var federation: String?
    /// Reference values per role name (`runtime`, `provider`, `device`).
    public var roles: [String: RolePolicy]
    /// Platforms whose attestation keys are trusted.
    public var platforms: [TrustedPlatform]
    /// Optional platform reference values.
    public var platformReference: PlatformReference?
    /// Which role may connect to which.
    public var channels: [ChannelRule]
    /// How long an admission certificate is valid.
    public var admissionLifetimeSeconds: Int
    /// How long a certifier nonce may be used.
    public var nonceLifetimeSeconds: Int
    /// Federated learning settings, for a domain that runs FL.
    public var federated: FederatedSettings?
    /// The most admissions the certifier makes for one platform instance in any hour; nil: no cap.
    public var maxAdmissionsPerPlatformPerHour: Int?
    /// How often runtimes and devices fetch the revocation list from the certifier; nil: every
    /// `defaultRevocationPollSeconds`.
    public var revocationPollSeconds: Int?

    /// The revocation list's poll interval when the policy names none: 30 s.
    public static let defaultRevocationPollSeconds = 30
    /// The poll interval in force: `revocationPollSeconds`, or the default.
    public var revocationPoll: Int { revocationPollSeconds ?? Self.defaultRevocationPollSeconds }

    /// Limits per peer for the servers (connections, training queue, words); nil: the defaults.
    public var limits: PolicyLimits?

    /// A policy of the current format and version with these parts; call `validate()` before using it.
    public init(
        name: String? = nil, roles: [String: RolePolicy], platforms: [TrustedPlatform],
        platformReference: PlatformReference? = nil, channels: [ChannelRule],
        admissionLifetimeSeconds: Int = 3600, nonceLifetimeSeconds: Int = 60, federated: FederatedSettings? = nil,
        maxAdmissionsPerPlatformPerHour: Int? = nil, limits: PolicyLimits? = nil
    ) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.name = name
        self.roles = roles
        self.platforms = platforms
        self.platformReference = platformReference
        self.channels = channels
        self.admissionLifetimeSeconds = admissionLifetimeSeconds
        self.nonceLifetimeSeconds = nonceLifetimeSeconds
        self.federated = federated
        self.maxAdmissionsPerPlatformPerHour = maxAdmissionsPerPlatformPerHour
        self.limits = limits
    }

    enum CodingKeys: String, CodingKey {
        case format, version, name, federation, roles, platforms
        case platformReference = "platform-reference"
        case channels
        case admissionLifetimeSeconds = "admission-lifetime-seconds"
        case nonceLifetimeSeconds = "nonce-lifetime-seconds"
        case federated = "fl"
        case maxAdmissionsPerPlatformPerHour = "max-admissions-per-platform-per-hour"
        case revocationPollSeconds = "revocation-poll-seconds"
        case limits
    }

    /// Reads the JSON form; the two lifetimes default to 3600 and 60 seconds when absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        version = try container.decode(Int.self, forKey: .version)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        federation = try container.decodeIfPresent(String.self, forKey: .federation)
        roles = try container.decode([String: RolePolicy].self, forKey: .roles)
        platforms = try container.decode([TrustedPlatform].self, forKey: .platforms)
        platformReference = try container.decodeIfPresent(PlatformReference.self, forKey: .platformReference)
        channels = try container.decode([ChannelRule].self, forKey: .channels)
        admissionLifetimeSeconds = try container.decodeIfPresent(Int.self, forKey: .admissionLifetimeSeconds) ?? 3600
        nonceLifetimeSeconds = try container.decodeIfPresent(Int.self, forKey: .nonceLifetimeSeconds) ?? 60
        federated = try container.decodeIfPresent(FederatedSettings.self, forKey: .federated)
        maxAdmissionsPerPlatformPerHour = try container.decodeIfPresent(Int.self, forKey: .maxAdmissionsPerPlatformPerHour)
        revocationPollSeconds = try container.decodeIfPresent(Int.self, forKey: .revocationPollSeconds)
        limits = try container.decodeIfPresent(PolicyLimits.self, forKey: .limits)
    }

    /// Reads and checks a policy from its JSON bytes; errors name the key that is wrong, or repeated.
    public init(json: [UInt8]) throws(PolicyError) {
        let document: PolicyDocument
        do {
            document = try JSONDecoder().decode(PolicyDocument.self, from: Data(json))
        } catch let error as DecodingError {
            throw PolicyError(decoding: error)
        } catch {
            throw PolicyError("not a policy document: \(error)", cause: error)
        }
        if let repeated = JSONDuplicateKeys.first(in: json) {
            throw PolicyError(path: repeated, "appears twice in one object; JSON readers disagree on which one counts, so a policy may not repeat a key")
        }
        try document.validate()
        self = document
    }

    /// The policy as canonical JSON: sorted keys, so the same policy always signs to the same bytes.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }

    /// The id the certifier keys this domain's freshness anchor by: `federation`, else `name` if it is a
    /// valid id, else "default".
    public var federationID: String {
        if let federation { return federation }
        if let name, FederationID.isValid(name) { return name }
        return FederationID.defaultID
    }

    /// What the policy says about `role`; nil if it does not define it.
    public func rolePolicy(_ role: Role) -> RolePolicy? {
        roles[role.rawValue]
    }

    /// Whether a party with role `from` may connect to a party with role `to`.
    public func allowsChannel(from: Role, to: Role) -> Bool {
        channels.contains(ChannelRule(from: from.rawValue, to: to.rawValue))
    }

    /// The limits per peer that apply: the policy's `limits`, with defaults for what it leaves out.
    public var effectiveLimits: PolicyLimits { limits ?? PolicyLimits() }

    /// The roles that may connect to a party with role `role`.
    public func rolesAllowedToConnect(to role: Role) -> Set<Role> {
        // A validated policy's channels name only its roles, whose names follow the rule.
        Set(channels.filter { $0.to == role.rawValue }.compactMap { Role(rawValue: $0.from) })
    }
}

extension PolicyError {
    /// Turns a JSONDecoder error into one that names the key path in the document's own spelling.
    init(decoding error: DecodingError) {
        func dotted(_ path: [any CodingKey]) -> String {
            path.reduce(into: "") { text, key in
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: dotted(context.codingPath + [key]), "is missing")
        case .typeMismatch(let type, let context):
            self.init(path: dotted(context.codingPath), "has the wrong type (expected \(Self.jsonName(of: type)))")
        case .valueNotFound(let type, let context):
            self.init(path: dotted(context.codingPath), "is null (expected \(Self.jsonName(of: type)))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init("not valid JSON")
            } else {
                self.init(path: dotted(context.codingPath), context.debugDescription)
            }
        @unknown default:
            self.init("not a policy document")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type, is HexBytes.Type: "text"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: "an object"
        }
    }
}
