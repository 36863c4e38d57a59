import Admission
public import ArgumentParser
import Attestation
import ByteKit
import CommandSupport
import Foundation
import OpenSSLKit
public import Policy

/// A program that attests in one role (each role's root command).
public protocol AttestingProgram {
    /// The role it attests as, e.g. `.device`.
    static var role: Role { get }
    /// Whether `attest` stores the admission in the role's folder (provider, device: their owner's disk),
    /// or only checks that the role is admitted (the runtime: its folder is the host's, and `serve`
    /// attests in memory at every start).
    static var keepsAdmission: Bool { get }
}

extension AttestingProgram {
    /// Provider and device keep their admission.
    public static var keepsAdmission: Bool { true }
}

/// `cml-<role> attest`: the same subcommand for every role, parameterized by the program.
public struct AttestCommand<Program: AttestingProgram>: ParsableCommand {
    /// `attest`, with its help.
    public static var configuration: CommandConfiguration {
        Program.keepsAdmission
            ? CommandConfiguration(
                commandName: "attest",
                abstract: "Attests to the certifier and stores the admission certificate, key and secrets.",
                discussion: """
                    Makes a new TLS key, asks the certifier for a nonce, gets a CCA token bound to that nonce and key from \
                    the attester, and sends it. On admission, the state directory receives tls.key (0600), admission.crt (the \
                    admission certificate, then the issuing certificate that signed it), \
                    policy.crt, policy.signed and secrets/NAME (0600). Exit codes: 0 admitted, 1 refused or failed, 64 usage.
                    """)
            : CommandConfiguration(
                commandName: "attest",
                abstract: "Checks that this \(Program.role) would be admitted: attests to the certifier and keeps nothing.",
                discussion: """
                    Makes a new TLS key in memory, asks the certifier for a nonce, gets a CCA token bound to that nonce and \
                    key from the attester, sends it, and prints the admission (measurement, validity, the names of the \
                    released secrets, never their values). Nothing is written: `cml-\(Program.role) serve` attests by \
                    itself at every start and holds its key and secrets in memory only, because its folder is on the \
                    host's disk (docs/freshness.md). Takes no --state. Exit codes: 0 admitted, 1 refused or failed, 64 usage.
                    """)
    }

    @Option(
        help: ArgumentHelp("The certifier's address, or its replicas' addresses separated by commas (tried in order; default: 127.0.0.1:8123).", valueName: "HOST:PORT[,HOST:PORT...]"),
        transform: { try HostPortList.parse($0) })
    var certifier = HostPortList(HostPort(host: "127.0.0.1", port: 8123))

    @Option(name: .customLong("policy-cert"), help: ArgumentHelp("The domain's policy certificate (PEM), pinned as the only root.", valueName: "FILE"))
    var policyCert: String

    @Option(help: ArgumentHelp("The role's state directory (provider and device; the runtime's attest keeps nothing).", valueName: "DIR"))
    var state: String?

    @OptionGroup var attesterOptions: AttesterOptions

    @Option(name: .customLong("claim-role"), help: ArgumentHelp("Claim another role than this program's (to see the certifier refuse it).", visibility: .hidden))
    var claimRole: String?

    /// The command as parsed (ArgumentParser fills in the options).
    public init() {}

    /// Refuses a claimed role that is not a role name (a usage error; the attester options check themselves).
    public func validate() throws {
        if let claimRole, Role(rawValue: claimRole) == nil {
            throw ValidationError("--claim-role \"\(claimRole)\" is not a role name (1 to \(Role.maximumLength) lowercase letters and hyphens)")
        }
        if Program.keepsAdmission && state == nil {
            throw ValidationError("--state DIR is needed: the folder that receives the admission")
        }
        if !Program.keepsAdmission, state != nil {
            throw ValidationError(
                "cml-\(Program.role) attest keeps nothing, so it takes no --state: `cml-\(Program.role) serve` attests at every start and "
                    + "holds its key and secrets in memory only (a folder on the host's disk would give them to the host)")
        }
        try attesterOptions.requireAttester()
    }

    /// Attests and stores the admission; a refusal or failure exits 1 with the reason.
    public func run() throws {
        let policyCertificate = try PolicyCertificateFile.read(policyCert)
        let summary: AdmissionSummary
        do {
            let attester = try attesterOptions.makeAttester()
            if let state, Program.keepsAdmission {
                summary = try CertifierFailover.first(of: certifier.serverAddresses) { (certifier) throws(AdmissionError) in
                    try AdmissionClient().attest(
                        role: claimedRole, certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: policyCertificate,
                        attester: attester, stateDirectory: state)
                }
            } else {
                summary = try CertifierFailover.first(of: certifier.serverAddresses) { (certifier) throws(AdmissionError) in
                    try AdmissionClient().requestAdmission(
                        role: claimedRole, certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: policyCertificate,
                        attester: attester, key: AdmissionClient.makeTLSKey())
                }
            }
        } catch let error as AdmissionError {
            throw CommandFailure(error.message, cause: error)
        } catch let error as AttestationError {
            throw CommandFailure(error.message, cause: error)
        }
        let measurement = summary.measurement.map { " (measurement \(Hex.short($0)))" } ?? ""
        let until = UTCTimeText.format(summary.expires)
        let names = summary.secrets.keys.sorted().joined(separator: ", ")
        if let state, Program.keepsAdmission {
            print("admitted as \(summary.role)\(measurement), certificate valid until \(until); stored in \(state)")
            if !summary.secrets.isEmpty { print("released secrets: \(names) (in \(state)/\(RoleStateFiles.secrets)/)") }
        } else {
            print("admitted as \(summary.role)\(measurement), certificate valid until \(until); nothing stored (serve attests at every start)")
            if !summary.secrets.isEmpty { print("released secrets: \(names) (not shown, not stored)") }
        }
    }

    /// The role to claim: the program's own, unless `--claim-role` names another (checked in `validate()`).
    private var claimedRole: Role {
        claimRole.flatMap(Role.init(rawValue:)) ?? Program.role
    }
}
