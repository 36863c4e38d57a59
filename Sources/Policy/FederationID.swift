/// The rule for a federation id (the policy's `federation`): what the certifier keys a freshness anchor
/// by and names its file after, so it must be safe as a file name.
public enum FederationID {
    /// The longest id.
    public static let maximumLength = 64
    /// The id of a policy that names neither a federation nor a name that is one.
    public static let defaultID = "default"
    /// The rule in words, to follow the id in an error.
    public static let rule = "is not a federation id: 1 to \(maximumLength) lowercase letters, digits and hyphens"

    /// Whether `id` is 1 to 64 lowercase ASCII letters, digits and hyphens.
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumLength
            && id.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
