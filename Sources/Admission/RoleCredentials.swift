import ByteKit
import Channel
public import Foundation
public import OpenSSLKit
public import Policy

/// A role's admission, loaded from its state directory: what runtime, provider and device use to make
/// mutual TLS connections inside the domain.
public struct RoleCredentials: Sendable {
    /// The role, e.g. `.runtime`.
    public let role: Role
    /// The admission certificate.
    public let certificate: Certificate
    /// The issuing certificate that signed it (empty for one the policy key signed directly), presented with it.
    public let chain: [Certificate]
    /// The TLS key the certificate is for.
    public let privateKey: ECPrivateKey
    /// The domain's root, the only trust anchor.
    public let policyCertificate: Certificate
    /// The policy, verified under `policyCertificate`.
    public let policy: PolicyDocument
    /// The measurement the certificate records.
    public let measurement: [UInt8]?
    private let secrets: [String: [UInt8]]

    /// Loads and checks the credentials of `role` in `stateDirectory` at `now`.
    ///
    /// Errors: not attested yet ("run `cml-<role> attest` first"), the certificate expired ("attest
    /// again"), names another role, is not for the stored key or its chain (admission.crt holds the
    /// certificate, then the issuing certificate) does not end at the policy certificate through CAs, the
    /// policy file is not the one the certificate was issued under (its SHA-256 differs: the host
    /// replaced it, even with another policy the domain key signed), or the policy's signature does not
    /// verify. This is the one check of the policy binding: runtime, provider and device all load here.
    public static func load(stateDirectory: String, role: Role, now: Date = Date()) throws(AdmissionError) -> RoleCredentials {
        let command = "`cml-\(role) attest`"
        func path(_ name: String) -> String { "\(stateDirectory)/\(name)" }
        for name in [RoleStateFiles.admissionCertificate, RoleStateFiles.tlsKey, RoleStateFiles.policyCertificate, RoleStateFiles.signedPolicy]
        where !FileBytes.exists(path(name)) {
            throw AdmissionError(.notAdmitted, "\(stateDirectory) holds no admission for \(role) (no \(name)): run \(command) first")
        }
        let certificates = try read(path(RoleStateFiles.admissionCertificate)) { text throws(OpenSSLError) in try Certificate.loadPEMChain(text) }
        guard let certificate = certificates.first else {
            throw AdmissionError(.stateIO, "\(path(RoleStateFiles.admissionCertificate)) holds no certificate; attest again (\(command))")
        }
        let chain = Array(certificates.dropFirst())
        let privateKey = try read(path(RoleStateFiles.tlsKey)) { text throws(OpenSSLError) in try ECPrivateKey(pem: text) }
        let policyCertificate = try read(path(RoleStateFiles.policyCertificate)) { text throws(OpenSSLError) in try Certificate(pem: text) }
        if now > certificate.notAfter {
            throw AdmissionError(
                .expired, "the admission certificate of \(role) in \(stateDirectory) expired at \(UTCTimeText.format(certificate.notAfter)); attest again (\(command))")
        }
        let check: RoleCertificateCheck
        do {
            check = try RoleCertificateCheck(
                certificate: certificate, chain: chain, role: role, key: privateKey, policyCertificate: policyCertificate, now: now)
        } catch {
            throw AdmissionError(
                error.kind, "\(path(RoleStateFiles.admissionCertificate)): \(error.message); attest again (\(command))", cause: error)
        }
        let policyPath = path(RoleStateFiles.signedPolicy)
        let policyBytes: [UInt8]
        do {
            policyBytes = try FileBytes.read(policyPath, limit: SignedPolicy.maximumFileSize)
        } catch {
            throw AdmissionError(.stateIO, "\(error)", cause: error)
        }
        try checkBinding(policyBytes, path: policyPath, certifiedHash: check.policyHash, command: command)
        let policy: SignedPolicy
        do {
            policy = try SignedPolicy(opening: policyBytes, policyCertificate: policyCertificate)
        } catch {
            throw AdmissionError(.policyInvalid, "\(policyPath): \(error)", cause: error)
        }
        return RoleCredentials(
            role: role, certificate: certificate, chain: chain, privateKey: privateKey, policyCertificate: policyCertificate, policy: policy.document,
            measurement: check.measurement, secrets: try readSecrets(path(RoleStateFiles.secrets)))
    }

    /// Throws unless the SHA-256 of `policyBytes` (read from `path`) is the hash the admission certificate
    /// records: the policy a role enforces is the one it was admitted under.
    private static func checkBinding(
        _ policyBytes: [UInt8], path: String, certifiedHash: [UInt8]?, command: String
    ) throws(AdmissionError) {
        guard let certifiedHash else {
            throw AdmissionError(
                .policyInvalid, "the admission certificate names no policy hash, so \(path) cannot be checked against it (an older certifier issued it); attest again (\(command))")
        }
        let hash = Digest.sha256.hash(policyBytes)
        guard hash == certifiedHash else {
            throw AdmissionError(
                .policyInvalid, "\(path) has SHA-256 \(Hex.short(hash)), but the admission certificate was issued under \(Hex.short(certifiedHash)): "
                    + "the policy file was replaced; attest again (\(command))")
        }
    }

    /// The released secret `name`, or nil if the certifier released none by that name.
    public func secret(named name: String) -> [UInt8]? {
        secrets[name]
    }

    /// The names of the released secrets.
    public var secretNames: [String] { secrets.keys.sorted() }

    /// A mutual-TLS server context: presents the admission certificate and its issuing certificate, trusts
    /// only the policy certificate, and asks every client for its certificate.
    public func serverContext() throws(AdmissionError) -> TLSContext {
        try context(.server)
    }

    /// A mutual-TLS client context: presents the admission certificate and its issuing certificate, and
    /// trusts only the policy certificate.
    public func clientContext() throws(AdmissionError) -> TLSContext {
        try context(.client)
    }

    private func context(_ side: TLSContext.Side) throws(AdmissionError) -> TLSContext {
        do {
            return try TLSContext(
                side: side, trustedRoot: policyCertificate, rootDescription: "this domain's policy key",
                identity: TLSIdentity(certificate: certificate, privateKey: privateKey, chain: chain), requestPeerCertificate: side == .server)
        } catch {
            throw AdmissionError(.tlsContextFailed, "cannot make the TLS \(side) context of \(role): \(error)", cause: error)
        }
    }

    private static func read<Value>(_ path: String, _ parse: (String) throws(OpenSSLError) -> Value) throws(AdmissionError) -> Value {
        do {
            return try parse(try PEMFile.read(path))
        } catch let error as FileError {
            throw AdmissionError(.stateIO, "\(error)", cause: error)
        } catch {
            throw AdmissionError(.stateIO, "\(path): \(error)", cause: error)
        }
    }

    private static func readSecrets(_ directory: String) throws(AdmissionError) -> [String: [UInt8]] {
        guard FileBytes.exists(directory) else { return [:] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.contains(".tmp-") }
        } catch {
            throw AdmissionError(.stateIO, "cannot list \(directory): \(error.localizedDescription)", cause: error)
        }
        var secrets: [String: [UInt8]] = [:]
        for name in names {
            do {
                secrets[name] = try FileBytes.read("\(directory)/\(name)", limit: RoleStateFiles.maximumSecretSize)
            } catch {
                throw AdmissionError(.stateIO, "\(error)", cause: error)
            }
        }
        return secrets
    }
}
