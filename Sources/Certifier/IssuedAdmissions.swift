public import Foundation

/// The admission certificates the certifier issued, as its audit log records them (one `admitted` line
/// each, with serial, role, measurement and expiry): the current file and the rotated ones it keeps.
/// What `cml-certifier revoke` checks a serial against, and what a reload that drops a measurement
/// searches for the live admissions to revoke.
public struct IssuedAdmissions: Sendable {
    /// Every `admitted` line, oldest file first.
    public let entries: [AuditEntry]

    /// The admissions among `entries` (audit entries, oldest first): its `admitted` lines with a serial.
    public init(entries: [AuditEntry]) {
        self.entries = entries.filter { $0.decision == .admitted && $0.serial != nil }
    }

    /// Reads the audit log at `auditLogPath` and its rotated files (`PATH.1`, `PATH.2`, ...).
    public init(auditLogPath: String) throws(CertifierError) {
        var paths: [String] = []
        var number = 1
        while FileManager.default.fileExists(atPath: "\(auditLogPath).\(number)") {
            paths.insert("\(auditLogPath).\(number)", at: 0)
            number += 1
        }
        if FileManager.default.fileExists(atPath: auditLogPath) { paths.append(auditLogPath) }
        var entries: [AuditEntry] = []
        for path in paths {
            entries += try AuditLog.read(path: path).filter { $0.decision == .admitted && $0.serial != nil }
        }
        self.entries = entries
    }

    /// The admission with the hex serial `serial`, or nil if none was issued (or recorded) with it.
    public func admission(serial: String) -> AuditEntry? {
        let serial = serial.lowercased()
        return entries.last { $0.serial?.lowercased() == serial }
    }

    /// The admissions of `role` with the measurement `measurement` (hex) still valid at `now`.
    public func live(role: String, measurement: String, now: Date) -> [AuditEntry] {
        entries.filter { entry in
            guard entry.role == role, entry.measurement?.lowercased() == measurement.lowercased(), let expires = entry.expires,
                let date = try? Date(expires, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            else { return false }
            return date > now
        }
    }
}
