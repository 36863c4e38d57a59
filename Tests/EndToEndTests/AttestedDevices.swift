import Admission
import Attestation
import Channel
import Foundation
import OpenSSLKit
import Policy
import TestSupport

/// Devices in this process, each with an identity of its own: a new TLS key attested to the real
/// certifier of a domain with a simulated token that states the built `cml-device`'s measurement, as
/// `cml-device attest` would.
enum AttestedDevices {
    /// `count` admitted devices' client contexts (admitted eight at a time).
    static func admit(_ count: Int, in domain: AdmittedDomain) throws -> [TLSContext] {
        let attester = try SimulatedAttester(
            platformKey: SimulatedPlatformFiles.privateKey(in: domain.domain.platform),
            measurement: ExecutableMeasurement.of(file: Executables.path("cml-device")))
        let policyCertificate = try Certificate(pem: String(contentsOfFile: domain.domain.policyCertificate, encoding: .utf8))
        let port = domain.certifier.port
        let batches = try concurrently(8) { batch in
            try stride(from: batch, to: count, by: 8).map { _ in
                let key = AdmissionClient.makeTLSKey()
                let summary = try AdmissionClient().requestAdmission(
                    role: .device, certifierHost: "127.0.0.1", certifierPort: port, policyCertificate: policyCertificate,
                    attester: attester, key: key)
                return try TLSContext(
                    side: .client, trustedRoot: policyCertificate, rootDescription: "this domain's policy key",
                    identity: TLSIdentity(certificate: summary.certificate, privateKey: key, chain: summary.chain))
            }
        }
        return batches.flatMap { $0 }
    }
}
