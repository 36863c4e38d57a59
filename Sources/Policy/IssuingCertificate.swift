public import Foundation
public import OpenSSLKit

/// The issuing certificate: the policy key's certificate for the certifier's issuing key, which signs
/// admission certificates, the certifier's TLS certificate and revocation lists, so that the policy key
/// itself signs only policies and issuing certificates and can stay offline. The one place that knows
/// its shape and the one check of it.
///
/// A CA of path length 0 (it may sign leaves, never another CA), keyCertSign and digitalSignature,
/// subject CN `cml-issuer`, signed by the policy key.
public enum IssuingCertificate {
    /// The subject's common name: what the certificate is.
    public static let commonName = "cml-issuer"
    /// The subject's organization, saying what the key does.
    /// (X.520 allows 64 characters.)
    public static let organization = "ConfidentialML issuing key (admissions, TLS, revocations)"
    /// How long an issuing certificate lasts unless told otherwise: a year.
    public static let defaultLifetime: TimeInterval = 365 * 86400
    /// How far back notBefore is set, so that a peer whose clock is a little behind accepts it.
    public static let clockSkew: TimeInterval = 60

    /// An issuing certificate for `key`, valid from `now` (less the clock skew) for `lifetime`, signed by
    /// `policyKey` under `policyCertificate`.
    public static func issue(
        for key: ECPublicKey, policyKey: ECPrivateKey, policyCertificate: Certificate, lifetime: TimeInterval = defaultLifetime,
        now: Date = Date()
    ) throws(OpenSSLError) -> Certificate {
        var builder = CertificateBuilder(
            subjectCommonName: commonName, subjectPublicKey: key, notBefore: now - clockSkew, notAfter: now + lifetime,
            isCertificateAuthority: true)
        builder.subjectOrganization = organization
        builder.pathLength = 0
        return try builder.issued(by: policyCertificate, issuerKey: policyKey)
    }

    /// Throws, saying what is wrong in a sentence that names the certificate, unless `certificate`
    /// is a CA allowed to sign certificates, issued by `policyCertificate`'s key, and valid at `now` (nil:
    /// the caller checks validity itself).
    public static func check(_ certificate: Certificate, policyCertificate: Certificate, at now: Date?) throws(PolicyError) {
        guard certificate.isCertificateAuthority, certificate.keyUsage.contains(.keyCertSign) else {
            throw PolicyError("\(certificate) is not a CA certificate (basic constraints CA:TRUE and keyCertSign), so it cannot issue admissions")
        }
        let verifier: CertificateVerifier
        do {
            verifier = try CertificateVerifier(trustedRoot: policyCertificate, rootDescription: "this domain's policy key")
        } catch {
            throw PolicyError("the policy certificate cannot anchor trust: \(error)", cause: error)
        }
        if case .untrusted(let reason) = verifier.verify(certificate, at: now) {
            throw PolicyError("\(certificate) \(reason)")
        }
    }
}
