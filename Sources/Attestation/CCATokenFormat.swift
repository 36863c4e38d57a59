/// The outer form of a CCA attestation token.
public enum CCATokenFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `399({44234: bstr, 44241: bstr})`: TF-RMM up to v0.8, ISLET, draft-ffm-rats-cca-token-00/01.
    case tag399 = "tag-399"
    /// `907({44234: [263, bstr], 44241: [263, bstr]})`, a CMW collection: TF-RMM v0.9 and later, drafts -03/-04.
    case tag907 = "tag-907"
    /// A platform COSE_Sign1 alone, as the Arm FVP firmware returns it.
    case platformOnly = "platform-token"

    /// The outer CBOR tag; nil for a bare platform token.
    public var tag: UInt64? {
        switch self {
        case .tag399: 399
        case .tag907: 907
        case .platformOnly: nil
        }
    }

    /// "tag-399", "tag-907" or "platform-token".
    public var description: String { rawValue }

    /// The form for "399", "907", "tag-399" or "tag-907".
    public init?(name: String) {
        switch name {
        case "399", "tag-399": self = .tag399
        case "907", "tag-907": self = .tag907
        default: return nil
        }
    }
}
