public import Foundation
internal import ByteKit
internal import COpenSSL

/// The answer of a certificate check: trusted, or untrusted with a reason a person can read.
public enum CertificateVerdict: Sendable, Equatable, CustomStringConvertible {
    /// The certificate chains to the root and is valid at the time asked.
    case trusted
    /// It does not; `reason` reads after "its certificate ", e.g. "expired on 2026-11-25 13:05:12 UTC".
    case untrusted(reason: String)

    /// Whether the certificate is trusted.
    public var isTrusted: Bool { self == .trusted }

    /// "trusted", or the reason it is not.
    public var description: String {
        switch self {
        case .trusted: "trusted"
        case .untrusted(let reason): reason
        }
    }
}

/// Checks certificates against exactly one trusted root, such as a domain's policy certificate.
///
/// `@unchecked Sendable` is safe: the `X509_STORE` is filled in `init` and never changed after; OpenSSL
/// locks the store for the lookups that concurrent verifications make, and each call has its own context.
public final class CertificateVerifier: @unchecked Sendable {
    /// The only certificate that anchors trust.
    public let trustedRoot: Certificate
    /// How reasons name the root, e.g. "this domain's policy key".
    public let rootDescription: String
    /// The store holding the root, also used by TLS contexts in this module.
    let store: OpaquePointer

    /// A verifier that trusts `trustedRoot` and nothing else (never the system's CAs).
    public init(trustedRoot: Certificate, rootDescription: String = "the trusted root") throws(OpenSSLError) {
        let operation = "making a certificate store for \(trustedRoot)"
        OpenSSLError.clearQueue()
        guard let store = X509_STORE_new() else { throw OpenSSLError.draining(operation) }
        guard X509_STORE_add_cert(store, trustedRoot.x509) == 1,
            X509_STORE_set_flags(store, UInt(X509_V_FLAG_X509_STRICT)) == 1
        else {
            X509_STORE_free(store)
            throw OpenSSLError.draining(operation)
        }
        self.trustedRoot = trustedRoot
        self.rootDescription = rootDescription
        self.store = store
    }

    deinit {
        X509_STORE_free(store)
    }

    /// Whether `certificate` chains to the root (through `intermediates`, each of which must be a CA
    /// allowed to sign what is below it) and every certificate on the chain is valid at `time` (nil: the
    /// caller checks validity itself); the first problem found is the reason.
    public func verify(_ certificate: Certificate, intermediates: [Certificate] = [], at time: Date? = Date()) -> CertificateVerdict {
        OpenSSLError.clearQueue()
        guard let context = X509_STORE_CTX_new() else {
            return .untrusted(reason: "could not verify: \(OpenSSLError.draining("making a verification context"))")
        }
        defer { X509_STORE_CTX_free(context) }
        guard let chain = COpenSSL_sk_X509_new_null() else {
            return .untrusted(reason: "could not verify: \(OpenSSLError.draining("making a certificate stack"))")
        }
        // The stack borrows the certificates, which `intermediates` keeps alive until the end of this call.
        defer { COpenSSL_sk_X509_free(chain) }
        for intermediate in intermediates {
            _ = COpenSSL_sk_X509_push(chain, intermediate.x509)
        }
        guard X509_STORE_CTX_init(context, store, certificate.x509, chain) == 1 else {
            return .untrusted(reason: "could not verify: \(OpenSSLError.draining("starting a verification"))")
        }
        if let time {
            X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970))
        } else {
            X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_NO_CHECK_TIME))
        }
        let result = withExtendedLifetime(intermediates) { X509_verify_cert(context) }
        if result == 1 { return .trusted }
        OpenSSLError.clearQueue()
        let code = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let failing = X509_STORE_CTX_get_current_cert(context).flatMap { try? Certificate(borrowing: $0, "verifying") }
        return .untrusted(reason: reason(code: code, certificate: failing ?? certificate, isLeaf: depth <= 0))
    }

    /// Words for OpenSSL's verification error `code` about `certificate` (the leaf when `isLeaf`).
    ///
    /// Each reason reads as what the leaf does wrong, so that it can follow "its certificate ":
    /// "expired on ...", "is not issued by this domain's policy key (self-signed "cml-runtime")".
    func reason(code: Int32, certificate: Certificate, isLeaf: Bool = true) -> String {
        let name = "\"\(certificate.subjectCommonName ?? "(no common name)")\""
        let problem: String
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            problem = "expired on \(UTCTimeText.format(certificate.notAfter))"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            problem = "is not valid before \(UTCTimeText.format(certificate.notBefore))"
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            problem = "is not issued by \(rootDescription) (self-signed \(name))"
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            problem = "is not issued by \(rootDescription) (its chain ends in self-signed \(name))"
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            guard let issuer = certificate.issuerCommonName else {
                problem = "is not issued by \(rootDescription) (\(name) names an issuer with no common name)"
                break
            }
            // A forger can copy the root's name but not its key; say so rather than seem to contradict.
            let sameName = issuer == trustedRoot.subjectCommonName ? "another key named " : ""
            problem = "is not issued by \(rootDescription) (\(name) is issued by \(sameName)\"\(issuer)\")"
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            problem = "has a signature that does not verify under its issuer's key (forged or tampered with)"
        case X509_V_ERR_INVALID_CA:
            problem = "is used as a CA but is not one"
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
            problem = "has more CAs below it than its path length allows"
        default:
            let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            problem = "fails verification: \(text)"
        }
        return isLeaf ? problem : "is issued by \(name), which \(problem)"
    }

}
