import ByteKit
public import Foundation
import Glibc
public import Policy

/// The certifier's revocation list on disk (`revocations.json` in its state): read by the serving
/// certifier, changed by `cml-certifier revoke` and by a policy reload that drops a measurement, each
/// change a new version written atomically under a lock (`revocations.lock`), so that two writers (the
/// command and the server) never lose each other's entries.
public struct RevocationStore: Sendable {
    /// The list's file.
    public let path: String
    private let lockPath: String

    /// The store in the certifier state folder `directory`.
    public init(directory: String) {
        path = "\(directory)/\(CertifierState.Files.revocations)"
        lockPath = "\(directory)/revocations.lock"
    }

    /// The list now; the empty list (version 0) when none was ever written.
    public func load() throws(CertifierError) -> RevocationList {
        guard FileBytes.exists(path) else { return RevocationList() }
        do {
            return try RevocationList(json: try FileBytes.read(path, limit: RevocationList.maximumFileSize))
        } catch let error as FileError {
            throw CertifierError(.revocationListFailed, "cannot read the revocation list: \(error)", cause: error)
        } catch {
            throw CertifierError(.revocationListFailed, "\(path): \(error)", cause: error)
        }
    }

    /// Adds `entries` (serials already listed are skipped) as a new version issued at `now`, and returns
    /// it; nothing is written when every serial was listed already (the list returned is the current one).
    @discardableResult
    public func revoke(_ entries: [RevocationList.Entry], now: Date) throws(CertifierError) -> RevocationList {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CertifierError(.revocationListFailed, "cannot lock the revocation list: \(FileError(path: lockPath, reason: Errno.current.description))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw CertifierError(.revocationListFailed, "cannot lock the revocation list: \(FileError(path: lockPath, reason: Errno.current.description))")
        }
        let current = try load()
        let fresh = entries.filter { !current.isRevoked(serialHex: $0.serial) }
        guard !fresh.isEmpty else { return current }
        let next = current.adding(fresh, now: now)
        do {
            try FileBytes.writeAtomically(next.jsonBytes(), to: path, mode: 0o600)
        } catch {
            throw CertifierError(.revocationListFailed, "cannot write the revocation list: \(error)", cause: error)
        }
        return next
    }
}
