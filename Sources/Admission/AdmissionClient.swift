public import Attestation
import ByteKit
public import Channel
public import Foundation
public import OpenSSLKit
public import Policy
public import Protocol

/// What every role's `attest` does: make a TLS key, ask the certifier (pinning the policy certificate)
/// for a nonce, get a token for `SHA-512(nonce || SPKI)` from the attester, send the evidence, check the
/// admission; then store key, certificate, policy and secrets in the role's state directory (`attest`,
/// for provider and device) or hold them in memory (`admit`, for the runtime).
public struct AdmissionClient: Sendable {
    /// Connection limits.
    public var configuration: ChannelClient.Configuration

    /// A client with these limits (by default 10 s to connect, 60 s for an answer).
    public init(configuration: ChannelClient.Configuration = .init(connectTimeout: .seconds(10), readTimeout: .seconds(60))) {
        self.configuration = configuration
    }

    /// A new TLS key. P-256: the key signs in every TLS handshake the role makes, and P-256 ECDSA costs
    /// about a third of P-384's; it lives only as long as its admission certificate (an hour by default),
    /// while the long-lived policy key that vouches for it is P-384.
    public static func makeTLSKey() -> ECPrivateKey {
        ECPrivateKey(generating: .p256)
    }

    /// Attests as `role` to the certifier at `certifierHost:certifierPort` and stores the result in
    /// `stateDirectory` (see `RoleStateFiles`), so that readers see the old admission or the new one.
    public func attest(
        role: Role, certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, attester: any Attester,
        stateDirectory: String
    ) throws(AdmissionError) -> AdmissionSummary {
        let key = Self.makeTLSKey()
        let summary = try requestAdmission(
            role: role, certifierHost: certifierHost, certifierPort: certifierPort, policyCertificate: policyCertificate,
            attester: attester, key: key)
        try store(summary, key: key, policyCertificate: policyCertificate, in: stateDirectory)
        return summary
    }

    /// Attests as `role` with a new TLS key and returns the checked credentials, held in memory only:
    /// nothing is written (the runtime, whose disk is the host's). The certificate must be valid at `now`.
    public func admit(
        role: Role, certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, attester: any Attester,
        now: Date = Date()
    ) throws(AdmissionError) -> RoleCredentials {
        let key = Self.makeTLSKey()
        let summary = try requestAdmission(
            role: role, certifierHost: certifierHost, certifierPort: certifierPort, policyCertificate: policyCertificate,
            attester: attester, key: key)
        return try RoleCredentials(admission: summary, key: key, policyCertificate: policyCertificate, now: now)
    }

    /// The whole exchange for `key`, without touching the disk: nonce, token, evidence, and the checked admission.
    public func requestAdmission(
        role: Role, certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, attester: any Attester,
        key: ECPrivateKey
    ) throws(AdmissionError) -> AdmissionSummary {
        let endpoint = hostPortText(host: certifierHost, port: certifierPort)
        let client: ChannelClient
        do {
            let context = try TLSContext(side: .client, trustedRoot: policyCertificate, rootDescription: "this domain's policy key")
            client = try ChannelClient.connect(
                host: certifierHost, port: certifierPort, context: context, expectedRoles: [.certifier],
                peerName: "the certifier", configuration: configuration)
        } catch let error as ChannelError {
            // Channel's messages already name the endpoint.
            throw AdmissionError(
                .unreachable, error.message.contains(endpoint) ? error.message : "cannot reach the certifier at \(endpoint): \(error.message)",
                cause: error)
        } catch {
            throw AdmissionError(.unreachable, "cannot reach the certifier at \(endpoint): \(error)", cause: error)
        }
        defer { client.close() }
        let admission: AdmissionMessage
        do {
            let nonce = try client.request(NonceRequest(), expecting: NonceMessage.self)
            let spki = key.publicKey.spkiDER
            let token: [UInt8]
            do {
                token = try attester.token(challenge: RealmChallenge.binding(nonce: nonce.nonce, spkiDER: spki))
            } catch {
                throw AdmissionError(.attesterFailed, "the \(attester.name) attester could not make a token: \(error.message)", cause: error)
            }
            admission = try client.request(
                EvidenceMessage(role: role.rawValue, token: token, publicKey: spki), expecting: AdmissionMessage.self)
        } catch let error as ChannelError {
            if error.kind == .remote {
                throw AdmissionError(.refused, "attestation refused by the certifier: \(error.message)", code: error.code.rawValue, cause: error)
            }
            throw AdmissionError(.exchangeFailed, "attestation with the certifier at \(endpoint) failed: \(error.message)", cause: error)
        } catch {
            throw error as? AdmissionError ?? AdmissionError(.exchangeFailed, "\(error)", cause: error)
        }
        return try check(admission, role: role, key: key, policyCertificate: policyCertificate)
    }

    /// Checks that the admission is for this key and role, issued through the issuing certificate sent
    /// with it by the policy key, with a policy the policy key signed.
    private func check(
        _ admission: AdmissionMessage, role: Role, key: ECPrivateKey, policyCertificate: Certificate
    ) throws(AdmissionError) -> AdmissionSummary {
        let certificate: Certificate
        do {
            certificate = try Certificate(der: admission.certificate)
        } catch {
            throw AdmissionError(.invalidAnswer, "the certifier sent a certificate that does not parse: \(error)", cause: error)
        }
        var chain: [Certificate] = []
        if let issuer = admission.issuer {
            do {
                chain = [try Certificate(der: issuer)]
            } catch {
                throw AdmissionError(.invalidAnswer, "the certifier sent an issuing certificate that does not parse: \(error)", cause: error)
            }
        }
        let checked = try RoleCertificateCheck(certificate: certificate, chain: chain, role: role, key: key, policyCertificate: policyCertificate)
        let policy: SignedPolicy
        do {
            policy = try SignedPolicy(opening: admission.policy, policyCertificate: policyCertificate)
        } catch {
            throw AdmissionError(.policyInvalid, "the certifier sent a policy that does not verify: \(error)", cause: error)
        }
        return AdmissionSummary(
            role: role, certificate: certificate, chain: chain, measurement: checked.measurement, expires: certificate.notAfter, policy: policy,
            secrets: admission.secrets)
    }

    /// Writes the admission into `directory`.
    private func store(_ summary: AdmissionSummary, key: ECPrivateKey, policyCertificate: Certificate, in directory: String) throws(AdmissionError) {
        do {
            try FileBytes.makeDirectory(directory, mode: 0o700)
            let secrets = "\(directory)/\(RoleStateFiles.secrets)"
            if !summary.secrets.isEmpty { try FileBytes.makeDirectory(secrets, mode: 0o700) }
            for (name, value) in summary.secrets {
                guard SecretName.isValid(name) else {
                    throw AdmissionError(.invalidAnswer, "the certifier released a secret named \"\(name)\", which is not a secret name (it \(SecretName.rule))")
                }
                try FileBytes.writeAtomically(value, to: "\(secrets)/\(name)", mode: 0o600)
            }
            // A matching set at every moment (RoleStateFiles): key and policy beside the old ones, the
            // certificate as the commit point, then the renames.
            let keyPath = "\(directory)/\(RoleStateFiles.tlsKey)"
            let policy = "\(directory)/\(RoleStateFiles.signedPolicy)"
            try FileBytes.writeAtomically(text: key.pkcs8PEM, to: RoleStateFiles.next(keyPath), mode: 0o600)
            try FileBytes.writeAtomically(summary.policy.bytes, to: RoleStateFiles.next(policy))
            try FileBytes.writeAtomically(text: policyCertificate.pem, to: "\(directory)/\(RoleStateFiles.policyCertificate)")
            let chain = ([summary.certificate] + summary.chain).map(\.pem).joined()
            try FileBytes.writeAtomically(text: chain, to: "\(directory)/\(RoleStateFiles.admissionCertificate)")
            for path in [keyPath, policy] where rename(RoleStateFiles.next(path), path) != 0 {
                throw FileError.current(path)
            }
        } catch let error as AdmissionError {
            throw error
        } catch {
            throw AdmissionError(.stateIO, "cannot store the admission: \(error)", cause: error)
        }
    }
}
