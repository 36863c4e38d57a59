import Attestation
import ByteKit
public import Policy
public import Foundation
public import OpenSSLKit

/// The certifier's state directory: the domain's policy certificate, the issuing key and certificate,
/// the certifier's own TLS key and certificate, the simulated platform, the secrets it releases, and the
/// audit log. `initialize` also writes the policy key there, to be moved offline (docs/operations.md):
/// loading never reads it, so a certifier serves without it.
///
/// ```
/// DIR/policy.key        P-384, PKCS#8 PEM, 0600    DIR/policy.crt      self-signed CA, the domain root
///                       (made by init; move it out)
/// DIR/issuer.key        P-256, PKCS#8 PEM, 0600    DIR/issuer.crt      CA pathlen 0, issued by the policy key
/// DIR/certifier.key     P-256, PKCS#8 PEM, 0600    DIR/certifier.crt   CN certifier, issued by the issuing key
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
        /// The issuing private key (0600): signs admissions, the TLS certificate and revocation lists.
        public static let issuingKey = "issuer.key"
        /// The issuing certificate, signed by the policy key.
        public static let issuingCertificate = "issuer.crt"
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
    /// The self-signed policy certificate, the domain root that every party pins.
    public let policyCertificate: Certificate
    /// The issuing key: signs admission certificates, the TLS certificate and revocation lists.
    public let issuingKey: ECPrivateKey
    /// The issuing key's certificate, signed by the policy key; sent with every certificate it signs.
    public let issuingCertificate: Certificate
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

    /// The path of the policy key that `initialize` writes, to be moved offline.
    public var policyKeyPath: String { path(Files.policyKey) }

    /// Makes a new domain in `directory`: policy key (written to `policy.key`, to be moved offline) and
    /// certificate, issuing key and certificate, TLS key and certificate, `platforms` simulated platforms
    /// (1 to `maximumPlatforms`), and `secrets`. Refuses to replace an existing state unless `force`.
    public static func initialize(
        directory: String, secrets: [SecretID] = SecretID.defaults, force: Bool = false, platforms: Int = 1, now: Date = Date()
    ) throws(CertifierError) -> CertifierState {
        guard (1...maximumPlatforms).contains(platforms) else {
            throw CertifierError(.invalidSetting, "\(platforms) platforms: a domain has 1 to \(maximumPlatforms) simulated platforms")
        }
        // The policy certificate marks a state: the policy key may have been moved offline.
        if let existing = [Files.policyCertificate, Files.policyKey].first(where: { FileBytes.exists("\(directory)/\($0)") }), !force {
            throw CertifierError(
                .stateExists, "\(directory) already holds a certifier state (\(existing)); give --force to replace it, which makes a new "
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
        let issuingKey = makeIssuingKey()
        let issuingCertificate = try issueIssuingCertificate(
            for: issuingKey, policyKey: policyKey, policyCertificate: policyCertificate, lifetime: IssuingCertificate.defaultLifetime, now: now)
        // P-256 for the TLS key: every handshake signs with it, and P-256 ECDSA costs a third of P-384's.
        let tlsKey = ECPrivateKey(generating: .p256)
        let tlsCertificate = try issueTLSCertificate(for: tlsKey, issuingKey: issuingKey, issuingCertificate: issuingCertificate, now: now)
        let state = CertifierState(
            directory: directory, policyCertificate: policyCertificate, issuingKey: issuingKey, issuingCertificate: issuingCertificate,
            tlsKey: tlsKey, tlsCertificate: tlsCertificate)
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
            try FileBytes.writeAtomically(text: issuingKey.pkcs8PEM, to: state.path(Files.issuingKey), mode: 0o600)
            try FileBytes.writeAtomically(text: issuingCertificate.pem, to: state.path(Files.issuingCertificate))
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

    /// Loads the state in `directory` without the policy key, checking that the keys match their
    /// certificates and that the issuing certificate is a CA the policy key signed, valid at `now`;
    /// issues the TLS certificate again under the issuing key when it has less than a month left, was
    /// signed by another key (an older state, or a new issuing certificate), or outlives the issuing
    /// certificate.
    public static func load(directory: String, now: Date = Date()) throws(CertifierError) -> CertifierState {
        guard FileBytes.exists("\(directory)/\(Files.policyCertificate)") else {
            throw CertifierError(.stateMissing, "\(directory) holds no certifier state (no \(Files.policyCertificate)); run `cml-certifier init --state \(directory)` first")
        }
        let policyCertificate = try readCertificate("\(directory)/\(Files.policyCertificate)")
        let issuingKeyPath = "\(directory)/\(Files.issuingKey)"
        guard FileBytes.exists(issuingKeyPath) else {
            throw CertifierError(
                .stateMissing, "\(directory) holds no issuing key (\(Files.issuingKey)), which signs admissions since the policy key went offline; "
                    + "make one with `cml-certifier issuer --state \(directory) --policy-key FILE` (FILE: the domain's policy.key)")
        }
        let issuingKey = try readKey(issuingKeyPath)
        let issuingPath = "\(directory)/\(Files.issuingCertificate)"
        let issuingCertificate = try readCertificate(issuingPath)
        guard (try? issuingCertificate.publicKey) == issuingKey.publicKey else {
            throw CertifierError(.stateCorrupt, "\(issuingPath) is not the certificate of \(Files.issuingKey)")
        }
        try checkIssuing(issuingCertificate, path: issuingPath, policyCertificate: policyCertificate, directory: directory, now: now)
        let tlsKey = try readKey("\(directory)/\(Files.tlsKey)")
        var tlsCertificate = try readCertificate("\(directory)/\(Files.tlsCertificate)")
        guard (try? tlsCertificate.publicKey) == tlsKey.publicKey else {
            throw CertifierError(.stateCorrupt, "\(directory)/\(Files.tlsCertificate) is not the certificate of \(Files.tlsKey)")
        }
        if tlsCertificate.notAfter.timeIntervalSince(now) < 30 * 86400 || tlsCertificate.notAfter > issuingCertificate.notAfter
            || !tlsCertificate.isSignatureValid(issuerKey: issuingKey.publicKey)
        {
            tlsCertificate = try issueTLSCertificate(for: tlsKey, issuingKey: issuingKey, issuingCertificate: issuingCertificate, now: now)
            let path = "\(directory)/\(Files.tlsCertificate)"
            try write { try FileBytes.writeAtomically(text: tlsCertificate.pem, to: path) }
        }
        return CertifierState(
            directory: directory, policyCertificate: policyCertificate, issuingKey: issuingKey, issuingCertificate: issuingCertificate,
            tlsKey: tlsKey, tlsCertificate: tlsCertificate)
    }

    /// Throws naming `path` and the fix unless `certificate` passes `IssuingCertificate.check` at `now`.
    private static func checkIssuing(
        _ certificate: Certificate, path: String, policyCertificate: Certificate, directory: String, now: Date
    ) throws(CertifierError) {
        do {
            try IssuingCertificate.check(certificate, policyCertificate: policyCertificate, at: now)
        } catch {
            throw CertifierError(
                .issuerRefused, "\(path): \(error.reason); issue a new one with `cml-certifier issuer --state \(directory) --policy-key FILE` "
                    + "on the machine that holds the policy key", cause: error)
        }
    }

    /// Certifies the issuing key again, or a new one when `newKey`, with `policyKey` (which must be the key
    /// of the state's policy certificate), for `lifetime` from `now`; writes `issuer.key` and `issuer.crt`
    /// and a TLS certificate under it. A serving certifier uses them from its next start.
    public static func certifyIssuer(
        directory: String, policyKey: ECPrivateKey, newKey: Bool, lifetime: TimeInterval = IssuingCertificate.defaultLifetime, now: Date = Date()
    ) throws(CertifierError) -> CertifierState {
        let policyCertificate = try readCertificate("\(directory)/\(Files.policyCertificate)")
        guard (try? policyCertificate.publicKey) == policyKey.publicKey else {
            throw CertifierError(.invalidSetting, "the policy key given is not the key of \(directory)/\(Files.policyCertificate) (another domain's?)")
        }
        let keyPath = "\(directory)/\(Files.issuingKey)"
        let issuingKey = newKey || !FileBytes.exists(keyPath) ? makeIssuingKey() : try readKey(keyPath)
        let issuingCertificate = try issueIssuingCertificate(
            for: issuingKey, policyKey: policyKey, policyCertificate: policyCertificate, lifetime: lifetime, now: now)
        let tlsKey = try readKey("\(directory)/\(Files.tlsKey)")
        let tlsCertificate = try issueTLSCertificate(for: tlsKey, issuingKey: issuingKey, issuingCertificate: issuingCertificate, now: now)
        let state = CertifierState(
            directory: directory, policyCertificate: policyCertificate, issuingKey: issuingKey, issuingCertificate: issuingCertificate,
            tlsKey: tlsKey, tlsCertificate: tlsCertificate)
        try write {
            try FileBytes.writeAtomically(text: issuingKey.pkcs8PEM, to: state.path(Files.issuingKey), mode: 0o600)
            try FileBytes.writeAtomically(text: issuingCertificate.pem, to: state.path(Files.issuingCertificate))
            try FileBytes.writeAtomically(text: tlsCertificate.pem, to: state.path(Files.tlsCertificate))
        }
        return state
    }

    /// Reads the policy key in `path`, which must be the key of `policyCertificate`.
    public static func readPolicyKey(_ path: String, policyCertificate: Certificate) throws(CertifierError) -> ECPrivateKey {
        let key = try readKey(path)
        guard (try? policyCertificate.publicKey) == key.publicKey else {
            throw CertifierError(.invalidSetting, "\(path) is not the key of the policy \(policyCertificate) (another domain's?)")
        }
        return key
    }

    /// The policy key while it is still in the folder (`init` writes it there): for signing the first
    /// policy before moving it out, and for tests and benches. Serving never calls this.
    public func policyKeyInFolder() throws(CertifierError) -> ECPrivateKey {
        guard FileBytes.exists(policyKeyPath) else {
            throw CertifierError(.stateMissing, "\(directory) holds no policy key (\(Files.policyKey)): it was moved offline")
        }
        return try Self.readPolicyKey(policyKeyPath, policyCertificate: policyCertificate)
    }

    /// Whether the issuing certificate expires within `interval` of `now`.
    public func issuingExpires(within interval: TimeInterval, of now: Date = Date()) -> Bool {
        issuingCertificate.notAfter.timeIntervalSince(now) < interval
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

    /// P-256 for the issuing key: every handshake checks a certificate it signed, and P-256 ECDSA
    /// verifies in a third of P-384's time.
    private static func makeIssuingKey() -> ECPrivateKey {
        ECPrivateKey(generating: .p256)
    }

    private static func issueIssuingCertificate(
        for key: ECPrivateKey, policyKey: ECPrivateKey, policyCertificate: Certificate, lifetime: TimeInterval, now: Date
    ) throws(CertifierError) -> Certificate {
        do {
            return try IssuingCertificate.issue(
                for: key.publicKey, policyKey: policyKey, policyCertificate: policyCertificate, lifetime: lifetime, now: now)
        } catch {
            throw CertifierError(.certificateFailed, "cannot make the issuing certificate: \(error)", cause: error)
        }
    }

    private static func issueTLSCertificate(
        for key: ECPrivateKey, issuingKey: ECPrivateKey, issuingCertificate: Certificate, now: Date
    ) throws(CertifierError) -> Certificate {
        try AdmissionIssuer(issuingKey: issuingKey, issuingCertificate: issuingCertificate, lifetime: tlsLifetime)
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
