public import Foundation
public import OpenSSLKit
public import Policy

/// What an admission gave a role: its certificate, the policy it agreed to, and the released secrets.
public struct AdmissionSummary: Sendable {
    /// The role admitted.
    public let role: Role
    /// The admission certificate.
    public let certificate: Certificate
    /// The certificates between it and the policy certificate: the issuing certificate (empty when the
    /// policy key signed it directly, as certifiers before issuing keys did).
    public let chain: [Certificate]
    /// The measurement the certificate records, if any.
    public let measurement: [UInt8]?
    /// When the certificate expires.
    public let expires: Date
    /// The signed policy, verified under the pinned policy certificate.
    public let policy: SignedPolicy
    /// The released secrets, by name.
    public let secrets: [String: [UInt8]]
}
