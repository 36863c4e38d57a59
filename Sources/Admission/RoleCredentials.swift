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
    /// verify. This is the one check of the policy binding: provider and device load here, and the
    /// runtime's in-memory admission (`init(admission:key:policyCertificate:)`) goes through it too.
    ///
    /// A renewal rewrites the folder while others may read it (see `RoleStateFiles`): the certificate is
    /// the commit point, and a key or policy that does not match it is looked for in its `.next` file; a
    /// load that still finds no matching set (it read between two renames) is made again, twice at most.
    public static func load(stateDirectory: String, role: Role, now: Date = Date()) throws(AdmissionError) -> RoleCredentials {
        var attempt = 1
        while true {
            do {
                return try loadOnce(stateDirectory: stateDirectory, role: role, now: now)
            } catch let error where attempt < 3 && (error.kind == .certificateInvalid || error.kind == .policyInvalid) {
                attempt += 1
            }
        }
    }

    private static func loadOnce(stateDirectory: String, role: Role, now: Date) throws(AdmissionError) -> RoleCredentials {
        let command = "`cml-\(role) attest`"
        func path(_ name: String) -> String { "\(stateDirectory)/\(name)" }
        for name in [RoleStateFiles.admissionCertificate, RoleStateFiles.tlsKey, RoleStateFiles.policyCertificate, RoleStateFiles.signedPolicy]
        where !FileBytes.exists(path(name)) && !FileBytes.exists(path(RoleStateFiles.next(name))) {
            throw AdmissionError(.notAdmitted, "\(stateDirectory) holds no admission for \(role) (no \(name)): run \(command) first")
        }
        let certificates = try read(path(RoleStateFiles.admissionCertificate)) { text throws(OpenSSLError) in try Certificate.loadPEMChain(text) }
        guard let certificate = certificates.first else {
            throw AdmissionError(.stateIO, "\(path(RoleStateFiles.admissionCertificate)) holds no certificate; attest again (\(command))")
        }
        let chain = Array(certificates.dropFirst())
        let certifiedKey = try? certificate.publicKey
        let privateKey = try readMatching(path(RoleStateFiles.tlsKey)) { (text) throws(OpenSSLError) -> (ECPrivateKey, Bool) in
            let key = try ECPrivateKey(pem: text)
            return (key, key.publicKey == certifiedKey)
        }
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
        var policyBytes = try readPolicyBytes(policyPath)
        if let certifiedHash = check.policyHash, Digest.sha256.hash(policyBytes) != certifiedHash,
            FileBytes.exists(RoleStateFiles.next(policyPath))
        {
            let next = try readPolicyBytes(RoleStateFiles.next(policyPath))
            if Digest.sha256.hash(next) == certifiedHash { policyBytes = next }
        }
        return try RoleCredentials(
            role: role, certificate: certificate, chain: chain, privateKey: privateKey, policyCertificate: policyCertificate, policyBytes: policyBytes,
            policyPath: policyPath, check: check, command: command, secrets: try readSecrets(path(RoleStateFiles.secrets)))
    }

    /// The credentials of an admission received just now for `key`, held in memory only (the runtime,
    /// whose folder is the host's): checked as a load checks a folder, the policy against the hash the
    /// certificate records, the certificate's validity at `now`.
    public init(admission: AdmissionSummary, key: ECPrivateKey, policyCertificate: Certificate, now: Date = Date()) throws(AdmissionError) {
        let command = "the certifier's answer"
        let check: RoleCertificateCheck
        do {
            check = try RoleCertificateCheck(
                certificate: admission.certificate, chain: admission.chain, role: admission.role, key: key, policyCertificate: policyCertificate, now: now)
        } catch {
            throw AdmissionError(error.kind, "the admission certificate the certifier sent: \(error.message)", cause: error)
        }
        try self.init(
            role: admission.role, certificate: admission.certificate, chain: admission.chain, privateKey: key, policyCertificate: policyCertificate,
            policyBytes: admission.policy.bytes, policyPath: "the policy the certifier sent", check: check, command: command,
            secrets: admission.secrets)
    }

    /// The credentials once the certificate passed its checks: binds and opens the policy.
    private init(
        role: Role, certificate: Certificate, chain: [Certificate], privateKey: ECPrivateKey, policyCertificate: Certificate, policyBytes: [UInt8],
        policyPath: String, check: RoleCertificateCheck, command: String, secrets: [String: [UInt8]]
    ) throws(AdmissionError) {
        try Self.checkBinding(policyBytes, path: policyPath, certifiedHash: check.policyHash, command: command)
        let policy: SignedPolicy
        do {
            policy = try SignedPolicy(opening: policyBytes, policyCertificate: policyCertificate)
        } catch {
            throw AdmissionError(.policyInvalid, "\(policyPath): \(error)", cause: error)
        }
        self.role = role
        self.certificate = certificate
        self.chain = chain
        self.privateKey = privateKey
        self.policyCertificate = policyCertificate
        self.policy = policy.document
        self.measurement = check.measurement
        self.secrets = secrets
    }

    private static func readPolicyBytes(_ path: String) throws(AdmissionError) -> [UInt8] {
        do {
            return try FileBytes.read(path, limit: SignedPolicy.maximumFileSize)
        } catch {
            throw AdmissionError(.stateIO, "\(error)", cause: error)
        }
    }

    /// The value in `path`, or in its `.next` file if only that one `matches` (a renewal that wrote the
    /// new certificate but had not yet renamed its key into place); the one in `path` otherwise.
    private static func readMatching<Value>(
        _ path: String, _ parse: (String) throws(OpenSSLError) -> (Value, matches: Bool)
    ) throws(AdmissionError) -> Value {
        let next = RoleStateFiles.next(path)
        guard FileBytes.exists(path) || !FileBytes.exists(next) else { return try read(next) { text throws(OpenSSLError) in try parse(text).0 } }
        let (value, matches) = try read(path, parse)
        guard !matches, FileBytes.exists(next), let (pending, pendingMatches) = try? read(next, parse), pendingMatches else { return value }
        return pending
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
