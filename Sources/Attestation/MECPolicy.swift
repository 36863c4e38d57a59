/// Claim 44243 of newer realm tokens: whether the realm's memory encryption context is shared or private.
///
/// TF-RMM v0.8-v0.9 write it as text, later versions as an integer; the value is kept as written.
public enum MECPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Text: "shared" or "private".
    case named(String)
    /// An integer (0 or 1 in current TF-RMM).
    case number(UInt64)

    /// The value as written: the text, or the number in decimal.
    public var description: String {
        switch self {
        case .named(let name): name
        case .number(let number): String(number)
        }
    }
}
