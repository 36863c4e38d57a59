internal import COpenSSL

/// The extended key usages that TLS checks: may the key serve as a TLS server, a TLS client, or both.
public struct ExtendedKeyUsage: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// One bit per usage (this type's own numbering).
    public let rawValue: UInt8

    /// Creates a set from this type's bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// TLS server authentication (id-kp-serverAuth).
    public static let serverAuth = ExtendedKeyUsage(rawValue: 1)
    /// TLS client authentication (id-kp-clientAuth).
    public static let clientAuth = ExtendedKeyUsage(rawValue: 2)

    /// The usages in OpenSSL's `XKU_*` flags.
    init(openSSLFlags flags: UInt32) {
        var usage: ExtendedKeyUsage = []
        if flags & UInt32(XKU_SSL_SERVER) != 0 { usage.insert(.serverAuth) }
        if flags & UInt32(XKU_SSL_CLIENT) != 0 { usage.insert(.clientAuth) }
        self = usage
    }

    /// The names as OpenSSL's extension configuration spells them.
    var names: [String] {
        [(ExtendedKeyUsage.serverAuth, "serverAuth"), (.clientAuth, "clientAuth")].filter { contains($0.0) }.map(\.1)
    }

    /// The names, e.g. "serverAuth, clientAuth".
    public var description: String { names.joined(separator: ", ") }
}
