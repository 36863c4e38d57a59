internal import COpenSSL

/// What a certificate's key may be used for (the X.509 key usage extension), as far as this project needs.
public struct KeyUsage: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// OpenSSL's `KU_*` bits.
    public let rawValue: UInt32

    /// Creates a set from OpenSSL's `KU_*` bits.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Signing in protocols: TLS handshakes, COSE documents.
    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    /// Signing certificates (a CA).
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    /// Signing revocation lists (a CA).
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))

    /// The names as `openssl x509 -text` and OpenSSL's extension configuration spell them.
    var names: [String] {
        [(KeyUsage.digitalSignature, "digitalSignature"), (.keyCertSign, "keyCertSign"), (.cRLSign, "cRLSign")]
            .filter { contains($0.0) }.map(\.1)
    }

    /// The names, e.g. "digitalSignature, keyCertSign".
    public var description: String { names.joined(separator: ", ") }
}
