/// The one rule for the names of released secrets (and the role part of a certifier's `ROLE:NAME`):
/// they become file names, in the certifier's state and in every admitted role's `secrets/` folder.
public enum SecretName {
    /// The longest name.
    public static let maximumLength = 64

    /// What a name must be, for errors.
    public static let rule = "must be 1 to \(maximumLength) lowercase letters, digits, '-' or '_'"

    /// Whether `name` is 1 to 64 lowercase letters, digits, '-' or '_': so never empty, "." or "..",
    /// never a path (no '/'), never cut short by a NUL.
    public static func isValid(_ name: String) -> Bool {
        (1...maximumLength).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
