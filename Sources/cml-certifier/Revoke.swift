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
            written atomically) and records a "revocation" line in the audit log; with --store postgresql://... \
            both go to the database that the certifier's replicas share, and every replica serves the list. The serial must be one this \
            certifier issued (its audit log records each admission). A serving certifier picks the list up within \
            10 s (at once on SIGHUP) and serves it signed to runtimes and devices, which refuse the peer from their \
            next poll on (the policy's revocation-poll-seconds) and close its open connections. Prints `revoked \
            SERIAL ...` on standard output. Exit codes: 0 revoked (or revoked already), 1 unknown serial or failure, 64 usage.
            """)

    @Option(help: ArgumentHelp("The certifier's state folder (with the folder store).", valueName: "DIR"))
    var state: String?

    @Option(help: ArgumentHelp("Where the certifier keeps its audit log and revocation list: dir (the state folder) or the PostgreSQL connection string its replicas share.", valueName: "dir|postgresql://..."))
    var store: StoreLocation = .directory

    @Option(help: ArgumentHelp("The admission certificate's serial number in hex (the audit log's \"serial\").", valueName: "HEX"))
    var serial: String

    @Option(help: ArgumentHelp("Why, for the audit log and the list.", valueName: "TEXT"))
    var reason = "revoked by the operator"

    func validate() throws {
        guard let bytes = Hex.decode(serial), !bytes.isEmpty else {
            throw ValidationError("--serial \"\(serial)\" is not a serial number in hex (e.g. 3f0a...)")
        }
        if store == .directory, state == nil {
            throw ValidationError("give --state DIR (the certifier's folder), or --store with the database its replicas share")
        }
    }

    func run() throws {
        let serial = self.serial.lowercased()
        do {
            let certifierStore: any CertifierStore
            let searched: String
            switch store {
            case .directory:
                let state = self.state ?? "."
                guard FileBytes.exists("\(state)/\(CertifierState.Files.policyCertificate)") else {
                    throw CertifierError(.stateMissing, "\(state) holds no certifier state (no \(CertifierState.Files.policyCertificate)); give the folder of `cml-certifier init`")
                }
                certifierStore = try DirectoryStore(directory: state)
                searched = "its audit log \(state)/\(CertifierState.Files.auditLog) and the rotated files record none"
            case .postgres(let connectionString):
                certifierStore = try PostgresStore(connectionString: connectionString)
                searched = "the audit table of \(certifierStore.description) records none"
            }
            guard let admission = try certifierStore.issuedAdmissions().admission(serial: serial) else {
                throw CertifierError(.invalidSetting, "serial \(serial) is not an admission this certifier issued (\(searched)); nothing was revoked")
            }
            let now = Date()
            let before = try certifierStore.revocations()
            let role = admission.role ?? "?"
            guard !before.isRevoked(serialHex: serial) else {
                StandardOutput.line("\(serial) (\(role)) was revoked already; revocation list version \(before.version)")
                return
            }
            let list = try certifierStore.revoke(
                [RevocationList.Entry(serial: serial, reason: reason, revoked: UInt64(now.timeIntervalSince1970))], now: now)
            try certifierStore.append(AuditEntry(date: now, revoked: serial, admission: admission, reason: reason))
            StandardOutput.line(
                "revoked \(serial) (\(role), valid until \(admission.expires ?? "?")); revocation list version \(list.version); a serving certifier serves it within 10 s")
        } catch let error as CertifierError {
            throw CommandFailure(error.message)
        }
    }
}
