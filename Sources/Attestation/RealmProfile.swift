/// The realm token profiles (claim 265 of the realm token). A token without the claim has the legacy format.
public enum RealmProfile: String, Sendable, CaseIterable, CustomStringConvertible {
    /// draft-ffm-rats-cca-token-00/01.
    case v2023 = "tag:arm.com,2023:realm#1.0.0"
    /// Current TF-RMM.
    case v2024 = "tag:arm.com,2024:realm#2.0.0"
    /// The 2026 revision.
    case v2026 = "tag:arm.com,2026:realm#2.0.0"

    /// The profile's tag URI.
    public var description: String { rawValue }

    /// The profile for "2023", "2024", "2026" or a full tag URI; nil for anything else.
    public init?(name: String) {
        if let profile = RealmProfile(rawValue: name) {
            self = profile
        } else if let profile = RealmProfile.allCases.first(where: { $0.rawValue.hasPrefix("tag:arm.com,\(name):") }) {
            self = profile
        } else {
            return nil
        }
    }
}
