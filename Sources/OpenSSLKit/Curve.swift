/// The NIST prime curves that COSE pairs with ES256, ES384 and ES512.
public enum Curve: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// P-256 (secp256r1), for ES256.
    case p256
    /// P-384 (secp384r1), for ES384.
    case p384
    /// P-521 (secp521r1), for ES512.
    case p521

    /// Bytes in one coordinate (and in each of r and s).
    public var coordinateSize: Int {
        switch self {
        case .p256: 32
        case .p384: 48
        case .p521: 66
        }
    }

    /// Bytes in a raw `r||s` signature.
    public var signatureSize: Int { 2 * coordinateSize }

    /// Bytes in an uncompressed SEC1 point `04||X||Y`.
    public var rawPointSize: Int { 1 + 2 * coordinateSize }

    /// The JWK and COSE name, e.g. "P-256".
    public var jwkName: String {
        switch self {
        case .p256: "P-256"
        case .p384: "P-384"
        case .p521: "P-521"
        }
    }

    /// The hash that COSE pairs with this curve: ES256 -> SHA-256, ES384 -> SHA-384, ES512 -> SHA-512.
    public var digest: Digest {
        switch self {
        case .p256: .sha256
        case .p384: .sha384
        case .p521: .sha512
        }
    }

    /// The JWK name, e.g. "P-256".
    public var description: String { jwkName }

    /// The curve named "P-256", "P-384" or "P-521"; nil for any other name.
    public init?(jwkName: String) {
        guard let curve = Curve.allCases.first(where: { $0.jwkName == jwkName }) else { return nil }
        self = curve
    }

    /// The curve whose uncompressed points have `rawPointLength` bytes (65, 97 or 133).
    public init?(rawPointLength: Int) {
        guard let curve = Curve.allCases.first(where: { $0.rawPointSize == rawPointLength }) else { return nil }
        self = curve
    }

    /// OpenSSL's short name for the group.
    var groupName: StaticString {
        switch self {
        case .p256: "prime256v1"
        case .p384: "secp384r1"
        case .p521: "secp521r1"
        }
    }

    /// The curve for a group name as OpenSSL reports it (short name or NIST name).
    init?(groupName: String) {
        switch groupName {
        case "prime256v1", "P-256", "secp256r1": self = .p256
        case "secp384r1", "P-384": self = .p384
        case "secp521r1", "P-521": self = .p521
        default: return nil
        }
    }
}
