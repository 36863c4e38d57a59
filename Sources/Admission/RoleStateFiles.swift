public import ByteKit

/// The files of a provider's or device's state directory (`--state DIR`). The runtime keeps none of
/// them: its folder is the host's, so its admission lives in memory (docs/freshness.md).
///
/// ```
/// tls.key        the TLS key, PKCS#8 PEM, mode 0600
/// admission.crt  the admission certificate, then the issuing certificate that signed it, PEM
/// policy.crt     the pinned policy certificate, PEM
/// policy.signed  the signed policy as received (COSE_Sign1)
/// secrets/NAME   each released secret, raw bytes, mode 0600
/// ```
///
/// A new admission (`attest`, or a renewal while others read the folder) is written so that readers
/// and a crash at any point see a matching set: the new key and policy first as `tls.key.next` and
/// `policy.signed.next`, then the certificate (the commit point), then the two renamed into place. A
/// reader whose key or policy does not match the certificate takes the `.next` one that does.
public enum RoleStateFiles {
    /// The TLS private key.
    public static let tlsKey = "tls.key"
    /// The admission certificate followed by its issuing certificate (the chain a role presents).
    public static let admissionCertificate = "admission.crt"
    /// The policy certificate.
    public static let policyCertificate = "policy.crt"
    /// The signed policy.
    public static let signedPolicy = "policy.signed"
    /// The folder of released secrets.
    public static let secrets = "secrets"
    /// The file a new admission writes before its certificate, then renames over `name`.
    public static func next(_ name: String) -> String { "\(name).next" }
    /// The largest released secret read back: the certifier releases 32 bytes; 4 KiB leaves room.
    public static let maximumSecretSize = FileSizeLimit(bytes: 4096, kind: "a released secret")
}
