import Admission
import Attestation
import Channel
import OpenSSLKit
import Policy

/// Admission at a certifier on loopback with a simulated attester: the bench's parties (the fl suite's
/// devices, the flood suite's legitimate clients and its attackers) get their certificates this way.
enum BenchAdmission {
    /// A new TLS key for `role`, attested with a simulated token stating `measurement` on the platform of
    /// `platformKey`, admitted at the certifier on 127.0.0.1:`port` under `root`: its client context.
    static func admit(role: Role, measurement: [UInt8], port: UInt16, root: Certificate, platformKey: ECPrivateKey) throws -> TLSContext {
        let key = AdmissionClient.makeTLSKey()
        let summary = try AdmissionClient(configuration: .init(connectTimeout: .seconds(60), readTimeout: .seconds(60))).requestAdmission(
            role: role, certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: root,
            attester: try SimulatedAttester(platformKey: platformKey, measurement: measurement), key: key)
        return try TLSContext(side: .client, trustedRoot: root, identity: TLSIdentity(certificate: summary.certificate, privateKey: key, chain: summary.chain))
    }
}
