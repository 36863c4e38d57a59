import ArgumentParser
import ByteKit
import Certifier
import CommandSupport
import Foundation
import OpenSSLKit
import Policy

/// `cml-certifier issuer --state DIR --policy-key FILE [--days N] [--new-key]`.
struct Issuer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Certifies the issuing key with the policy key (run where the policy key is kept).",
        discussion: """
            Signs a new issuer.crt in DIR with the policy key in FILE (which must be the key of DIR/policy.crt): \
            a CA certificate of path length 0 for the key that signs admissions, the certifier's TLS certificate \
            and revocation lists, valid for N days. With --new-key it makes a new issuing key first (issuer.key, \
            P-256, 0600); otherwise it certifies the current one again. The TLS certificate is issued again under \
            it. Restart a serving certifier to use it. The policy key comes to this host only for the run (a \
            removable disk, unmounted after); see docs/operations.md. Prints the new certificate's serial and expiry.
            """)

    @Option(help: ArgumentHelp("The certifier's state folder.", valueName: "DIR"))
    var state: String

    @Option(name: .customLong("policy-key"), help: ArgumentHelp("The domain's policy key (PKCS#8 PEM), kept offline.", valueName: "FILE"))
    var policyKey: String

    @Option(help: ArgumentHelp("How many days the issuing certificate lasts (default 365).", valueName: "N"))
    var days = 365

    @Flag(name: .customLong("new-key"), help: "Make a new issuing key instead of certifying the current one again.")
    var newKey = false

    func validate() throws {
        guard (1...3650).contains(days) else {
            throw ValidationError("--days \(days): give 1 to 3650")
        }
    }

    func run() throws {
        do {
            let policyCertificatePath = "\(state)/\(CertifierState.Files.policyCertificate)"
            guard FileBytes.exists(policyCertificatePath) else {
                throw CertifierError(.stateMissing, "\(state) holds no certifier state (no \(CertifierState.Files.policyCertificate)); give the folder of `cml-certifier init`")
            }
            let policyCertificate: Certificate
            do {
                policyCertificate = try Certificate(pem: PEMFile.read(policyCertificatePath))
            } catch {
                throw CertifierError(.stateCorrupt, "\(policyCertificatePath): \(error)", cause: error)
            }
            let key = try CertifierState.readPolicyKey(policyKey, policyCertificate: policyCertificate)
            let made = try CertifierState.certifyIssuer(
                directory: state, policyKey: key, newKey: newKey, lifetime: TimeInterval(days) * 86400)
            let certificate = made.issuingCertificate
            StandardOutput.line(
                "\(newKey ? "new issuing key" : "issuing key") certified: \(made.path(CertifierState.Files.issuingCertificate)) serial \(certificate.serialNumberHex), "
                    + "valid until \(UTCTimeText.format(certificate.notAfter)); restart a serving certifier to use it")
        } catch let error as CertifierError {
            throw CommandFailure(error.message, cause: error)
        }
    }
}
