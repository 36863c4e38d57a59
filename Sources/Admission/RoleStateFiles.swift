public import ByteKit

/// The files of a role's state directory (`--state DIR` of runtime, provider and device).
///
/// ```
/// tls.key        the TLS key, PKCS#8 PEM, mode 0600
/// admission.crt  the admission certificate, then the issuing certificate that signed it, PEM
/// policy.crt     the pinned policy certificate, PEM
/// policy.signed  the signed policy as received (COSE_Sign1)
/// secrets/NAME   each released secret, raw bytes, mode 0600
/// ```
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
    /// The largest released secret read back: the certifier releases 32 bytes; 4 KiB leaves room.
    public static let maximumSecretSize = FileSizeLimit(bytes: 4096, kind: "a released secret")
}
