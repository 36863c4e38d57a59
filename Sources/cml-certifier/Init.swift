import ArgumentParser
import Attestation
import ByteKit
import Certifier
import CommandSupport
import OpenSSLKit

/// `cml-certifier init --state DIR [--force] [--platforms N] [--secret ROLE:NAME ...]`.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Makes a new domain: policy key and certificate, issuing key, certifier TLS key, simulated platform, secrets.",
        discussion: """
            DIR receives policy.key (P-384, 0600) and the self-signed policy.crt (the domain's root), issuer.key \
            (P-256, 0600) and issuer.crt (the policy key's CA certificate for the key that signs admissions, the \
            TLS certificate and revocation lists; a year), certifier.key (0600) and certifier.crt, platform/ (the simulated platform key, its public PEM and instance ID: point \
            roles at it with --platform; with --platforms N also platform-2/ to platform-N/, each its own key and \
            instance ID), and secrets/ROLE/NAME (32 random bytes, 0600). An existing state is kept \
            unless --force is given. Move policy.key off the certifier host once the policy is signed: serve \
            does not need it (docs/operations.md, "Keeping the policy key offline").
            """)

    @Option(help: ArgumentHelp("The state directory to make.", valueName: "DIR"))
    var state: String

    @Flag(help: "Replace an existing state (a new domain: the old policies and admissions stop being trusted).")
    var force = false

    @Option(help: ArgumentHelp("How many simulated platforms to make, each its own key and instance ID (default 1).", valueName: "N"))
    var platforms = 1

    @Option(name: .customLong("secret"), help: ArgumentHelp("A secret to make, ROLE:NAME; repeatable (default: runtime:sealing).", valueName: "ROLE:NAME"))
    var secrets: [String] = []

    func validate() throws {
        guard (1...CertifierState.maximumPlatforms).contains(platforms) else {
            throw ValidationError("--platforms \(platforms): give 1 to \(CertifierState.maximumPlatforms)")
        }
        for secret in secrets {
            do {
                _ = try SecretID(parsing: secret)
            } catch {
                throw ValidationError("--secret: \(error.message)")
            }
        }
    }

    func run() throws {
        let ids = try secrets.isEmpty ? SecretID.defaults : secrets.map { text throws(CertifierError) in try SecretID(parsing: text) }
        let made: CertifierState
        do {
            made = try CertifierState.initialize(directory: state, secrets: ids, force: force, platforms: platforms)
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        print("new domain in \(state): policy key P-384 (\(CertifierState.Files.policyCertificate)), issuing key P-256 (\(CertifierState.Files.issuingCertificate), until \(UTCTimeText.format(made.issuingCertificate.notAfter))), certifier TLS key P-256 (\(CertifierState.Files.tlsCertificate))")
        print("the policy key is \(made.policyKeyPath): sign the policy with it, then move it off this host (serve does not need it)")
        for number in 1...platforms {
            let directory = made.platformDirectory(number)
            let platformKey = try? SimulatedPlatformFiles.privateKey(in: directory)
            let instance = platformKey.map { Hex.short(PlatformClaims.instanceID(for: $0.publicKey)) } ?? "?"
            print("simulated platform \(instance) in \(directory)")
        }
        print("secrets: \(Set(ids).sorted().map(\.description).joined(separator: ", "))")
    }
}
