public import OpenSSLKit

/// The COSE signature algorithms a CCA token may use: ECDSA on a NIST curve with its paired SHA-2.
public enum COSEAlgorithm: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA on P-256 with SHA-256.
    case es256 = -7
    /// ECDSA on P-384 with SHA-384 (what CCA platforms and the RMM sign with).
    case es384 = -35
    /// ECDSA on P-521 with SHA-512.
    case es512 = -36

    /// The curve the signing key must be on.
    public var curve: Curve {
        switch self {
        case .es256: .p256
        case .es384: .p384
        case .es512: .p521
        }
    }

    /// The hash applied to the ToBeSigned bytes.
    public var digest: Digest { curve.digest }

    /// The IANA name, e.g. "ES384".
    public var name: String {
        switch self {
        case .es256: "ES256"
        case .es384: "ES384"
        case .es512: "ES512"
        }
    }

    /// The IANA name.
    public var description: String { name }

    /// The algorithm for keys on `curve`.
    public init(curve: Curve) {
        switch curve {
        case .p256: self = .es256
        case .p384: self = .es384
        case .p521: self = .es512
        }
    }
}
