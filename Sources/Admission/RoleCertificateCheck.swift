import Foundation
import OpenSSLKit
import Policy

/// The checks an admission certificate must pass for a role to use it: its chain (the certificate, then
/// the issuing certificate in `chain`) ends at the policy certificate, through CAs only, it is for the
/// role's own key, and it names that role.
struct RoleCertificateCheck {
    /// The measurement the certificate records.
    let measurement: [UInt8]?
    /// The SHA-256 of the signed policy the certificate was issued under, if it records one.
    let policyHash: [UInt8]?

    /// Checks `certificate` issued through `chain` (at `now`, unless nil: the caller checks validity itself).
    init(
        certificate: Certificate, chain: [Certificate], role: Role, key: ECPrivateKey, policyCertificate: Certificate, now: Date? = nil
    ) throws(AdmissionError) {
        guard (try? certificate.publicKey) == key.publicKey else {
            throw AdmissionError(.certificateInvalid, "the admission certificate is not for this role's TLS key (\(RoleStateFiles.tlsKey))")
        }
        let verifier: CertificateVerifier
        do {
            verifier = try CertificateVerifier(trustedRoot: policyCertificate, rootDescription: "this domain's policy key")
        } catch {
            throw AdmissionError(.certificateInvalid, "the policy certificate cannot anchor trust: \(error)", cause: error)
        }
        // The same check as every TLS peer's (`TLSConnection.peerVerdict`): the chain through the issuing CA.
        if case .untrusted(let reason) = verifier.verify(certificate, intermediates: chain, at: now) {
            throw AdmissionError(.certificateInvalid, "the admission certificate \(reason)")
        }
        let admission: AdmissionCertificate
        do {
            admission = try AdmissionCertificate(trusted: certificate)
        } catch {
            throw AdmissionError(.certificateInvalid, "the admission certificate \(error.reason)", cause: error)
        }
        guard admission.role == role else {
            throw AdmissionError(.certificateInvalid, "the admission certificate admits \"\(admission.role)\", not \"\(role)\"")
        }
        measurement = admission.measurement
        policyHash = admission.policyHash
    }
}
