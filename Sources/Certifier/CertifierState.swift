import Attestation
import ByteKit
import Policy
public import Foundation
public import OpenSSLKit
import Policy

/// The certifier's state directory: the domain's policy key and certificate, the certifier's own TLS
/// key and certificate, the simulated platform, the secrets it releases, and the audit log.
///
/// ```
/// DIR/policy.key        P-384, PKCS#8 PEM, 0600    DIR/policy.crt      self-signed CA, the domain root
/// DIR/certifier.key     P-256, PKCS#8 PEM, 0600    DIR/certifier.crt   CN certifier, issued by the policy key
/// DIR/platform/         the simulated platform (see SimulatedPlatformFiles), for `--platform`
/// DIR/platform-2/ ...   platforms 2 to N of `init --platforms N`, each its own key and instance ID
/// DIR/secrets/ROLE/NAME 32 random bytes, 0600      DIR/audit.jsonl     one JSON line per decision
/// DIR/anchors/FED.anchor  a runtime's freshness anchor (AnchorStore)
/// DIR/revocations.json  the revoked admission certificates (RevocationStore), unsigned; served signed
/// ```
public struct CertifierState: Sendable {
    /// File names inside the directory.
    public enum Files {
        /// The policy private key (0600).
        public static let policyKey = "policy.key"
        /// The self-signed policy certificate.
        public static let policyCertificate = "policy.crt"
        /// The certifier's TLS private key (0600).
        public static let tlsKey = "certifier.key"
        /// The certifier's TLS certificate.
        public static let tlsCertificate = "certifier.crt"
        /// The simulated platform's folder.
        public static let platform = "platform"
        /// The folder of secrets, one subfolder per role.
        public static let secrets = "secrets"
        /// The audit log.
        public static let auditLog = "audit.jsonl"
        /// The folder of runtimes' freshness anchors, one file per federation.
        public static let anchors = "anchors"
        /// The revocation list (JSON), replaced atomically by `cml-certifier revoke`.
        public static let revocations = "revocations.json"
    }

    /// The policy certificate's common name.
    public static let policyCommonName = "cml-policy"
    /// How long the policy certificate (the domain) lasts.
    public static let policyLifetime: TimeInterval = 10 * 365 * 86400
    /// How long the certifier's TLS certificate lasts; it is renewed on load when less than a month is left.
    public static let tlsLifetime: TimeInterval = 365 * 86400
    /// Bytes in each secret.
    public static let secretSize = 32
    /// A secret file is read with room for one byte more than `secretSize`, so a longer one is refused by size.
    static let secretFileSize = FileSizeLimit(bytes: secretSize + 1, kind: "a secret")

    /// The state directory.
    public let directory: String
    /// The domain's policy key (P-384): signs policies and certificates.
    public let policyKey: ECPrivateKey
    /// The self-signed policy certificate, the domain root that every party pins.
    public let policyCertificate: Certificate
    /// The certifier's TLS key.
    public let tlsKey: ECPrivateKey
    /// The certifier's TLS certificate (CN and SAN role `certifier`, no measurement).
    public let tlsCertificate: Certificate

    /// The path of a file in the directory.
    public func path(_ name: String) -> String { "\(directory)/\(name)" }
    /// The simulated platform folder, for `--platform`: platform 1's.
    public var platformDirectory: String { path(Files.platform) }
    /// The most simulated platforms `initialize` makes.
    public static let maximumPlatforms = 1000

    /// The folder of simulated platform `number` (from 1): `platform/` for the first, so that a domain
    /// of one platform looks as it always did, then `platform-2/`, `platform-3/` ...
    public func platformDirectory(_ number: Int) -> String {
        number == 1 ? platformDirectory : path("\(Files.platform)-\(number)")
    }
    /// The audit log's path.
    public var auditLogPath: String { path(Files.auditLog) }

    /// Makes a new domain in `directory`: policy key and certificate, TLS key and certificate,
    /// `platforms` simulated platforms (1 to `maximumPlatforms`), and `secrets`. Refuses to replace an
    /// existing state unless `force`.
    public static func initialize(
        directory: String, secrets: [SecretID] = SecretID.defaults, force: Bool = false, platforms: Int = 1, now: Date = Date()
    ) throws(CertifierError) -> CertifierState {
        guard (1...maximumPlatforms).contains(platforms) else {
            throw CertifierError(.invalidSetting, "\(platforms) platforms: a domain has 1 to \(maximumPlatforms) simulated platforms")
        }
        let existing = "\(directory)/\(Files.policyKey)"
        if FileBytes.exists(existing) && !force {
            throw CertifierError(
                .stateExists, "\(directory) already holds a certifier state (\(Files.policyKey)); give --force to replace it, which makes a new "
                    + "domain: every policy and admission of the old one stops being trusted")
        }
        let policyKey = ECPrivateKey(generating: .p384)
        let policyCertificate: Certificate
        do {
            policyCertificate = try CertificateBuilder(
                subjectCommonName: policyCommonName, subjectPublicKey: policyKey.publicKey,
                notBefore: now - AdmissionIssuer.clockSkew, notAfter: now + policyLifetime, isCertificateAuthority: true
            ).selfSigned(with: policyKey)
        } catch {
            throw CertifierError(.certificateFailed, "cannot make the policy certificate: \(error)", cause: error)
        }
        // P-256 for the TLS key: every handshake signs with it, and P-256 ECDSA costs a third of P-384's.
        let tlsKey = ECPrivateKey(generating: .p256)
        let tlsCertificate = try issueTLSCertificate(for: tlsKey, policyKey: policyKey, policyCertificate: policyCertificate, now: now)
        let state = CertifierState(
            directory: directory, policyKey: policyKey, policyCertificate: policyCertificate, tlsKey: tlsKey,
            tlsCertificate: tlsCertificate)
        try write {
            try FileBytes.makeDirectory(directory, mode: 0o700)
            // The old secrets belong to the old domain.
            if force {
                try? FileManager.default.removeItem(atPath: state.path(Files.secrets))
                // So are the old platforms beyond the first (the first is replaced below).
                let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for name in names where name.hasPrefix("\(Files.platform)-") {
                    try? FileManager.default.removeItem(atPath: state.path(name))
                }
            }
            try FileBytes.writeAtomically(text: policyKey.pkcs8PEM, to: state.path(Files.policyKey), mode: 0o600)
            try FileBytes.writeAtomically(text: policyCertificate.pem, to: state.path(Files.policyCertificate))
            try FileBytes.writeAtomically(text: tlsKey.pkcs8PEM, to: state.path(Files.tlsKey), mode: 0o600)
            try FileBytes.writeAtomically(text: tlsCertificate.pem, to: state.path(Files.tlsCertificate))
        }
        do {
            for number in 1...platforms {
                try SimulatedPlatformFiles.write(ECPrivateKey(generating: .p384), to: state.platformDirectory(number))
            }
        } catch {
            throw CertifierError(.stateIO, error.message, cause: error)
        }
        _ = try state.ensureSecrets(secrets)
        return state
    }

    /// Loads the state in `directory`, checking that the keys match their certificates; renews the TLS
    /// certificate when it has less than a month left.
    public static func load(directory: String, now: Date = Date()) throws(CertifierError) -> CertifierState {
        guard FileBytes.exists("\(directory)/\(Files.policyKey)") else {
            throw CertifierError(.stateMissing, "\(directory) holds no certifier state (no \(Files.policyKey)); run `cml-certifier init --state \(directory)` first")
        }
        let policyKey = try readKey("\(directory)/\(Files.policyKey)")
        let policyCertificate = try readCertificate("\(directory)/\(Files.policyCertificate)")
        guard (try? policyCertificate.publicKey) == policyKey.publicKey else {
            throw CertifierError(.stateCorrupt, "\(directory)/\(Files.policyCertificate) is not the certificate of \(Files.policyKey)")
        }
        let tlsKey = try readKey("\(directory)/\(Files.tlsKey)")
        var tlsCertificate = try readCertificate("\(directory)/\(Files.tlsCertificate)")
        guard (try? tlsCertificate.publicKey) == tlsKey.publicKey,
            tlsCertificate.isSignatureValid(issuerKey: policyKey.publicKey)
        else {
            throw CertifierError(.stateCorrupt, "\(directory)/\(Files.tlsCertificate) is not the policy key's certificate for \(Files.tlsKey)")
        }
        if tlsCertificate.notAfter.timeIntervalSince(now) < 30 * 86400 {
            tlsCertificate = try issueTLSCertificate(for: tlsKey, policyKey: policyKey, policyCertificate: policyCertificate, now: now)
            let path = "\(directory)/\(Files.tlsCertificate)"
            try write { try FileBytes.writeAtomically(text: tlsCertificate.pem, to: path) }
        }
        return CertifierState(
            directory: directory, policyKey: policyKey, policyCertificate: policyCertificate, tlsKey: tlsKey,
            tlsCertificate: tlsCertificate)
    }

    /// The secret `id`, or nil if the state has none by that name.
    public func secret(_ id: SecretID) throws(CertifierError) -> [UInt8]? {
        let path = secretPath(id)
        guard FileBytes.exists(path) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path, limit: Self.secretFileSize)
        } catch {
            throw CertifierError(.stateIO, "cannot read secret \(id): \(error)", cause: error)
        }
        guard bytes.count == Self.secretSize else {
            throw CertifierError(.stateCorrupt, "\(path) has \(bytes.count) bytes, expected \(Self.secretSize)")
        }
        return bytes
    }

    /// Makes each of `ids` that does not exist yet (32 random bytes, mode 0600); returns the ones made.
    public func ensureSecrets(_ ids: [SecretID]) throws(CertifierError) -> [SecretID] {
        var made: [SecretID] = []
        for id in Set(ids).sorted() where try secret(id) == nil {
            let path = secretPath(id)
            try Self.write {
                try FileBytes.makeDirectory("\(directory)/\(Files.secrets)/\(id.role)", mode: 0o700)
                try FileBytes.writeAtomically(SecureRandom.bytes(Self.secretSize), to: path, mode: 0o600)
            }
            made.append(id)
        }
        return made
    }

    private func secretPath(_ id: SecretID) -> String {
        path("\(Files.secrets)/\(id.role)/\(id.name)")
    }

    private static func issueTLSCertificate(
        for key: ECPrivateKey, policyKey: ECPrivateKey, policyCertificate: Certificate, now: Date
    ) throws(CertifierError) -> Certificate {
        try AdmissionIssuer(policyKey: policyKey, policyCertificate: policyCertificate, lifetime: tlsLifetime)
            .issue(role: .certifier, measurement: nil, subjectKey: key.publicKey, now: now)
    }

    private static func readKey(_ path: String) throws(CertifierError) -> ECPrivateKey {
        try readPEM(path) { text throws(OpenSSLError) in try ECPrivateKey(pem: text) }
    }

    private static func readCertificate(_ path: String) throws(CertifierError) -> Certificate {
        try readPEM(path) { text throws(OpenSSLError) in try Certificate(pem: text) }
    }

    private static func readPEM<Value>(_ path: String, _ parse: (String) throws(OpenSSLError) -> Value) throws(CertifierError) -> Value {
        let text: String
        do {
            text = try PEMFile.read(path)
        } catch {
            throw CertifierError(.stateIO, "\(error)", cause: error)
        }
        do {
            return try parse(text)
        } catch {
            throw CertifierError(.stateCorrupt, "\(path): \(error)", cause: error)
        }
    }

    /// Runs file operations, turning their errors into certifier errors.
    private static func write(_ body: () throws -> Void) throws(CertifierError) {
        do {
            try body()
        } catch {
            throw CertifierError(.stateIO, "cannot write the certifier state: \(error)", cause: error)
        }
    }
}
