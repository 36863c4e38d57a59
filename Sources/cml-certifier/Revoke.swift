import ArgumentParser
import ByteKit
import Certifier
import CommandSupport
import Foundation
import Policy

/// `cml-certifier revoke`: adds an admission certificate this certifier issued to the domain's revocation list.
struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke an admission certificate the certifier issued.",
        discussion: """
            Adds the certificate with serial HEX to the revocation list in DIR (revocations.json, a new version, \
            written atomically) and records a "revocation" line in the audit log. The serial must be one this \
            certifier issued (its audit log records each admission). A serving certifier picks the list up within \
            10 s (at once on SIGHUP) and serves it signed to runtimes and devices, which refuse the peer from their \
            next poll on (the policy's revocation-poll-seconds) and close its open connections. Prints `revoked \
            SERIAL ...` on standard output. Exit codes: 0 revoked (or revoked already), 1 unknown serial or failure, 64 usage.
            """)

    @Option(help: ArgumentHelp("The certifier's state folder.", valueName: "DIR"))
    var state: String

    @Option(help: ArgumentHelp("The admission certificate's serial number in hex (the audit log's \"serial\").", valueName: "HEX"))
    var serial: String

    @Option(help: ArgumentHelp("Why, for the audit log and the list.", valueName: "TEXT"))
    var reason = "revoked by the operator"

    func validate() throws {
        guard let bytes = Hex.decode(serial), !bytes.isEmpty else {
            throw ValidationError("--serial \"\(serial)\" is not a serial number in hex (e.g. 3f0a...)")
        }
    }

    func run() throws {
        let serial = self.serial.lowercased()
        let auditPath = "\(state)/\(CertifierState.Files.auditLog)"
        do {
            guard FileBytes.exists("\(state)/\(CertifierState.Files.policyCertificate)") else {
                throw CertifierError(.stateMissing, "\(state) holds no certifier state (no \(CertifierState.Files.policyCertificate)); give the folder of `cml-certifier init`")
            }
            let issued = try IssuedAdmissions(auditLogPath: auditPath)
            guard let admission = issued.admission(serial: serial) else {
                throw CertifierError(
                    .invalidSetting, "serial \(serial) is not an admission this certifier issued (its audit log \(auditPath) and the rotated files record none); "
                        + "nothing was revoked")
            }
            let store = RevocationStore(directory: state)
            let now = Date()
            let before = try store.load()
            let role = admission.role ?? "?"
            guard !before.isRevoked(serialHex: serial) else {
                StandardOutput.line("\(serial) (\(role)) was revoked already; revocation list version \(before.version)")
                return
            }
            let list = try store.revoke([RevocationList.Entry(serial: serial, reason: reason, revoked: UInt64(now.timeIntervalSince1970))], now: now)
            let log = try AuditLog(path: auditPath)
            try log.append(AuditEntry(date: now, revoked: serial, admission: admission, reason: reason))
            StandardOutput.line(
                "revoked \(serial) (\(role), valid until \(admission.expires ?? "?")); revocation list version \(list.version); a serving certifier serves it within 10 s")
        } catch let error as CertifierError {
            throw CommandFailure(error.message)
        }
    }
}
