import ArgumentParser
import ByteKit
import Certifier
import CommandSupport
import Foundation

/// `cml-certifier audit --store URL [--since T] [--json]`: prints the audit log.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints the certifier's audit log: every decision and event, oldest first.",
        discussion: """
            Reads the audit table of the database the certifier's replicas share (--store postgresql://...), or \
            the audit log of a state folder (--state DIR, the current file). One line per entry: time, decision \
            or event, role, serial, peer, reasons; with --json each entry's JSON object on its own line, as \
            audit.jsonl holds it.
            """)

    @Option(help: ArgumentHelp("The certifier's state folder (with the folder store).", valueName: "DIR"))
    var state: String?

    @Option(help: ArgumentHelp("dir (the state folder) or the PostgreSQL connection string the replicas share.", valueName: "dir|postgresql://..."))
    var store: StoreLocation = .directory

    @Option(help: ArgumentHelp("Only entries at or after this time (ISO 8601, e.g. 2026-12-05T20:00:00Z).", valueName: "TIME"))
    var since: String?

    @Flag(help: "Print each entry as its JSON object, one per line.")
    var json = false

    func validate() throws {
        if store == .directory, state == nil {
            throw ValidationError("give --state DIR (the certifier's folder), or --store with the database its replicas share")
        }
        if let since, Self.date(since) == nil {
            throw ValidationError("--since \"\(since)\" is not an ISO 8601 time (e.g. 2026-12-05T20:00:00Z)")
        }
    }

    func run() throws {
        let entries: [AuditEntry]
        do throws(CertifierError) {
            let certifierStore: any CertifierStore
            switch store {
            case .directory:
                let state = self.state ?? "."
                guard FileBytes.exists("\(state)/\(CertifierState.Files.policyKey)") else {
                    throw CertifierError(.stateMissing, "\(state) holds no certifier state (no \(CertifierState.Files.policyKey)); give the folder of `cml-certifier init`")
                }
                // A read must not create the log: no file, no entries.
                guard FileBytes.exists("\(state)/\(CertifierState.Files.auditLog)") else { return }
                certifierStore = try DirectoryStore(directory: state)
            case .postgres(let connectionString):
                certifierStore = try PostgresStore(connectionString: connectionString)
            }
            entries = try certifierStore.auditEntries(since: since.flatMap(Self.date))
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        for entry in entries {
            if json {
                let bytes = (try? entry.jsonBytes()) ?? []
                StandardOutput.line(String(decoding: bytes, as: UTF8.self))
            } else {
                StandardOutput.line(Self.line(entry))
            }
        }
    }

    /// `time what role serial peer: reasons`, leaving out what the entry lacks.
    private static func line(_ entry: AuditEntry) -> String {
        let what = entry.decision?.rawValue ?? entry.event?.rawValue ?? "?"
        var parts = [entry.time, what]
        if let role = entry.role, !role.isEmpty { parts.append(role) }
        if let serial = entry.serial { parts.append("serial \(serial)") }
        if let peer = entry.peer { parts.append("from \(peer)") }
        if let code = entry.code { parts.append(code) }
        let text = parts.joined(separator: " ")
        return entry.reasons.isEmpty ? text : "\(text): \(entry.reasons.joined(separator: "; "))"
    }

    private static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}
