/// A claim's integer key and its name, so that lookups and error messages use the same words.
public struct Claim: Sendable, Hashable, CustomStringConvertible {
    /// The claim's integer key in the claims map.
    public let key: Int
    /// The claim's name, e.g. "challenge".
    public let name: String
    /// What messages call it: "claim", or "label" for the fields of a claim's map.
    let kind: String

    /// A claim with this key and name; `kind` is "label" for a field inside a claim's value.
    public init(_ key: Int, _ name: String, kind: String = "claim") {
        self.key = key
        self.name = name
        self.kind = kind
    }

    /// "claim 10 (challenge)".
    public var description: String { "\(kind) \(key) (\(name))" }
}
