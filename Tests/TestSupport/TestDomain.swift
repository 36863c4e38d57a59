import Channel
public import Foundation
public import Logging
public import OpenSSLKit
public import Policy

/// A domain made at test time: a P-384 root (the policy certificate) certifying a P-256 issuing key that
/// issues P-256 admission certificates exactly as the certifier does (CN and SAN URI naming the role, the
/// measurement extension); each identity presents the issuing certificate with its own.
public struct TestDomain: Sendable {
    /// How refusals name the root.
    public static let rootDescription = "this domain's policy key"

    /// The policy private key.
    public let rootKey: ECPrivateKey
    /// The policy certificate, the only trust anchor.
    public let root: Certificate
    /// The issuing key, which signs the admission certificates.
    public let issuingKey: ECPrivateKey
    /// The issuing certificate, signed by `rootKey`.
    public let issuing: Certificate

    /// A new domain whose root certificate has the common name `name`.
    public init(name: String = "cml-policy") throws {
        rootKey = ECPrivateKey(generating: .p384)
        root = try CertificateBuilder(
            subjectCommonName: name, subjectPublicKey: rootKey.publicKey, notBefore: Date() - 3600,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
        issuingKey = ECPrivateKey(generating: .p256)
        issuing = try IssuingCertificate.issue(
            for: issuingKey.publicKey, policyKey: rootKey, policyCertificate: root, lifetime: 86400, now: Date() - 3600)
    }

    /// An admission certificate for `role`, as the certifier issues it; unless told otherwise, each names
    /// a platform of its own, as if every device ran on its own machine.
    public func identity(
        role: Role, measurement: [UInt8]? = Array(repeating: 0x5e, count: 32), platformInstance: [UInt8]? = Self.newPlatformInstance(),
        notBefore: Date = Date() - 60, notAfter: Date = Date() + 3600
    ) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        let certificate = try AdmissionCertificate.issue(
            role: role, measurement: measurement, platformInstance: platformInstance, subjectKey: key.publicKey,
            notBefore: notBefore, notAfter: notAfter, issuerKey: issuingKey, issuerCertificate: issuing)
        return TLSIdentity(certificate: certificate, privateKey: key, chain: [issuing])
    }

    /// A random CCA platform instance ID: 0x01 and 32 random bytes.
    public static func newPlatformInstance() -> [UInt8] {
        [0x01] + SecureRandom.bytes(32)
    }

    /// A certificate that names `role` but that its own key signed.
    public static func selfSigned(role: Role, commonName: String? = nil) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: commonName ?? role.rawValue, subjectPublicKey: key.publicKey, notAfter: Date() + 3600)
        builder.uriSubjectAlternativeNames = [AdmissionCertificate.roleURI(role)]
        return TLSIdentity(certificate: try builder.selfSigned(with: key), privateKey: key)
    }

    /// An admission certificate for `role` (for `subjectKey`, or a new key) that `holder`'s key signed, as
    /// the holder of an admission would forge one, presented with `holder`'s certificate and chain.
    /// CertificateBuilder refuses a leaf as issuer, so it signs under a stand-in CA certificate with the
    /// holder's name and key (the same subject and key identifier as the holder's certificate).
    public static func forged(role: Role, under holder: TLSIdentity, subjectKey: ECPrivateKey = ECPrivateKey(generating: .p256)) throws -> TLSIdentity {
        let standIn = try CertificateBuilder(
            subjectCommonName: holder.certificate.subjectCommonName ?? "", subjectPublicKey: holder.privateKey.publicKey,
            notBefore: Date() - 60, notAfter: Date() + 3600, isCertificateAuthority: true
        ).selfSigned(with: holder.privateKey)
        var builder = CertificateBuilder(
            subjectCommonName: role.rawValue, subjectPublicKey: subjectKey.publicKey, notBefore: Date() - 60, notAfter: Date() + 3600)
        builder.uriSubjectAlternativeNames = [AdmissionCertificate.roleURI(role)]
        let certificate = try builder.issued(by: standIn, issuerKey: holder.privateKey)
        return TLSIdentity(certificate: certificate, privateKey: subjectKey, chain: [holder.certificate] + holder.chain)
    }

    /// A server context presenting a fresh `role` certificate (mutual TLS unless `mutual` is false).
    public func serverContext(role: Role = .runtime, mutual: Bool = true) throws -> TLSContext {
        try TLSContext(
            side: .server, trustedRoot: root, rootDescription: Self.rootDescription, identity: try identity(role: role),
            requestPeerCertificate: mutual)
    }

    /// A client context presenting `identity` (or nothing).
    public func clientContext(identity: TLSIdentity?) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root, rootDescription: Self.rootDescription, identity: identity)
    }

    /// A client context presenting a fresh admission certificate for `role`.
    public func clientContext(role: Role) throws -> TLSContext {
        try clientContext(identity: try identity(role: role))
    }

    /// The ML policy's shape: provider and device may connect to the runtime (no platforms: nothing here
    /// appraises tokens).
    public static func mlPolicy(channels: [ChannelRule] = [
        ChannelRule(from: "provider", to: "runtime"), ChannelRule(from: "device", to: "runtime"),
    ]) -> PolicyDocument {
        let measurement = [HexBytes(Array(repeating: 0x5e, count: 32))]
        return PolicyDocument(
            name: "test, ML mode",
            roles: [
                "runtime": RolePolicy(initialMeasurements: measurement, secrets: ["sealing"]),
                "provider": RolePolicy(initialMeasurements: measurement),
                "device": RolePolicy(initialMeasurements: measurement),
            ],
            platforms: [], channels: channels)
    }

    /// The ML policy's shape with FL settings: rounds close at `minUpdates`, or at the deadline with
    /// `quorum`, and aggregate with `aggregation` (FedAvg unless told otherwise).
    public static func flPolicy(
        aggregation: FederatedSettings.Aggregation = .fedAvg, trimFraction: Double? = nil, clipNorm: Double? = nil,
        minUpdates: Int = 2, quorum: Int = 1, deadlineSeconds: Double = 60, maxSamplesPerUpdate: Int? = nil,
        oneUpdatePer: FederatedSettings.UpdateCounting? = nil
    ) -> PolicyDocument {
        var policy = mlPolicy()
        policy.name = "test, FL mode"
        policy.federated = FederatedSettings(
            aggregation: aggregation, trimFraction: trimFraction, clipNorm: clipNorm, minUpdates: minUpdates, quorum: quorum,
            roundDeadlineSeconds: deadlineSeconds, maxSamplesPerUpdate: maxSamplesPerUpdate, oneUpdatePer: oneUpdatePer)
        return policy
    }
}

/// A logger that drops everything, so test output stays readable.
public let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
