import Foundation
import OpenSSLKit
import Policy

/// The checks an admission certificate must pass for a role to use it: issued by the policy key, for
/// the role's own key, naming that role.
struct RoleCertificateCheck {
    /// The measurement the certificate records.
    let measurement: [UInt8]?
    /// The SHA-256 of the signed policy the certificate was issued under, if it records one.
    let policyHash: [UInt8]?

    /// Checks `certificate` (at `now`, unless nil: the caller checks validity itself).
    init(certificate: Certificate, role: Role, key: ECPrivateKey, policyCertificate: Certificate, now: Date? = nil) throws(AdmissionError) {
        guard (try? certificate.publicKey) == key.publicKey else {
            throw AdmissionError(.certificateInvalid, "the admission certificate is not for this role's TLS key (\(RoleStateFiles.tlsKey))")
        }
        let policyKey: ECPublicKey
        do {
            policyKey = try policyCertificate.publicKey
        } catch {
            throw AdmissionError(.certificateInvalid, "the policy certificate has no usable key (\(policyCertificate)): \(error)", cause: error)
        }
        guard certificate.isSignatureValid(issuerKey: policyKey) else {
            throw AdmissionError(.certificateInvalid, "the admission certificate is not issued by this domain's policy key (\(policyCertificate))")
        }
        if let now {
            let verifier: CertificateVerifier
            do {
                verifier = try CertificateVerifier(trustedRoot: policyCertificate, rootDescription: "this domain's policy key")
            } catch {
                throw AdmissionError(.certificateInvalid, "the policy certificate cannot anchor trust: \(error)", cause: error)
            }
            if case .untrusted(let reason) = verifier.verify(certificate, at: now) {
                throw AdmissionError(.certificateInvalid, "the admission certificate \(reason)")
            }
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
