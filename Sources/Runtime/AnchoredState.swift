import ByteKit
public import Channel
import Foundation
public import Logging
import OpenSSLKit
public import Protocol

/// The runtime's sealed state with its freshness anchor (docs/freshness.md): every file carries the anchor
/// version it belongs to, a change is written as new files of the next version, and the change is
/// acknowledged only once the anchor holds that version and the digest of the state at it.
///
/// At start it checks the folder against the anchor: the state at the anchored version must have the
/// anchored digest, or the runtime refuses to start, naming what is stale. Files of later versions were
/// never acknowledged and are removed.
///
/// Advances are grouped (group commit): changes written while an advance is under way take the next
/// version, and one advance then anchors all of them. Files that an advance makes garbage (an older model,
/// the updates of a closed round) are removed once it succeeded.
public final class AnchoredState: Sendable {
    /// The encrypted files.
    public let sealed: SealedStore
    /// What the anchor is keyed by (the policy's federation id).
    public let federation: String
    /// Where the state is anchored; nil: nowhere (`--unanchored`), so rollback goes undetected.
    public let anchor: (any FreshnessAnchor)?
    private let logger: Logger
    private let conflicted: (@Sendable (String) -> Void)?

    private struct Ledger: Sendable {
        /// What the anchor holds.
        var anchored: AnchorState
        /// The version that files written now take.
        var open: UInt64
        /// The highest version of a file written so far.
        var newest: UInt64
        /// Files being written, by version: an advance waits until none of its versions is being written.
        var writing: [UInt64: Int] = [:]
        /// Every state file in the folder, with the SHA-256 of its bytes.
        var files: [StateFileName: [UInt8]] = [:]
        /// Whether an advance is under way.
        var advancing = false
        /// Advances started so far.
        var attempts = 0
        /// The last advance that failed: its number, the version it tried, and why.
        var failure: (attempt: Int, version: UInt64, reason: String)?
    }

    private let ledger: GuardedState<Ledger>

    /// The state files at the anchored version when the runtime started, which it resumes from.
    let startFiles: [StateFileName]

    /// Opens the state in `sealed` for `federation`, checked against `anchor` (nil: unchecked). Waits for
    /// an unreachable anchor, retrying with backoff, for at most `patience`.
    ///
    /// Throws, naming what is stale or missing, if the folder does not hold the anchored state; if the
    /// anchor exists and the folder holds nothing (deleting the state is a denial of service, not a fresh
    /// start); if the folder holds state and the anchor does not.
    ///
    /// `conflicted` hears of an advance the anchor refused because it holds another state than this
    /// runtime's (another instance advanced it): from then on nothing this runtime writes can be
    /// anchored, so its owner should stop it (a restart checks the folder against the anchor again).
    public init(
        sealed: SealedStore, federation: String, anchor: (any FreshnessAnchor)?, logger: Logger,
        patience: Duration = .seconds(0), conflicted: (@Sendable (_ reason: String) -> Void)? = nil
    ) throws(RuntimeError) {
        self.sealed = sealed
        self.federation = federation
        self.anchor = anchor
        self.logger = logger
        self.conflicted = conflicted
        let removed = try sealed.removeUnfinishedWrites()
        if removed > 0 { logger.info("removed \(removed) unfinished write\(removed == 1 ? "" : "s") of sealed files") }
        var names: [StateFileName] = []
        for purpose in try sealed.purposes() {
            guard let name = StateFileName(purpose: purpose) else {
                logger.warning("\(sealed.path(of: purpose)) is not a sealed state file of this runtime (docs/freshness.md); ignoring it")
                continue
            }
            names.append(name)
        }
        let hash: (StateFileName) throws(RuntimeError) -> [UInt8] = { name throws(RuntimeError) in try sealed.fileDigest(purpose: name.purpose) }
        let anchored: AnchorState
        if let anchor {
            anchored = try Self.check(
                folder: names, sealed: sealed, federation: federation, anchor: anchor, hash: hash, logger: logger, patience: patience)
        } else {
            let version = names.map(\.seq).max() ?? 0
            var files: [(name: StateFileName, hash: [UInt8])] = []
            for name in CanonicalState.files(names, at: version) { files.append((name, try hash(name))) }
            anchored = AnchorState(version: version, digest: CanonicalState.digest(federation: federation, version: version, files: files))
        }
        // Later versions were never anchored, so never acknowledged: nothing may depend on them.
        let unanchored = names.filter { $0.seq > anchored.version }
        for name in unanchored { sealed.remove(purpose: name.purpose) }
        if !unanchored.isEmpty {
            logger.info(
                "removed \(unanchored.count) sealed file\(unanchored.count == 1 ? "" : "s") written after version \(anchored.version) and never anchored (never acknowledged)")
        }
        let current = CanonicalState.files(names, at: anchored.version)
        var files: [StateFileName: [UInt8]] = [:]
        for name in current { files[name] = try hash(name) }
        // Files of the anchored state's past are garbage.
        let garbage = names.filter { $0.seq <= anchored.version && files[$0] == nil }
        for name in garbage { sealed.remove(purpose: name.purpose) }
        if !garbage.isEmpty {
            logger.info("removed \(garbage.count) sealed file\(garbage.count == 1 ? "" : "s") that the anchored state no longer needs")
        }
        startFiles = current
        ledger = GuardedState(Ledger(anchored: anchored, open: anchored.version + 1, newest: anchored.version, files: files))
    }

    /// The plaintext of `name`, one of `startFiles`, opened only if its bytes are the ones whose hash the
    /// start checked against the anchor; throws if it is missing, changed or does not authenticate.
    func readStartFile(_ name: StateFileName) throws(RuntimeError) -> [UInt8] {
        let digest = ledger.withLock { $0.files[name] }
        guard let plaintext = try sealed.read(purpose: name.purpose, digest: digest) else {
            throw RuntimeError(.sealedStateIO, "\(sealed.path(of: name.purpose)) disappeared while the runtime read it")
        }
        return plaintext
    }

    /// What the anchor holds now.
    public var anchored: AnchorState { ledger.withLock { $0.anchored } }

    /// Seals `plaintext` as the file that `name` makes of the version it is given, and returns that
    /// version. Nothing is acknowledged yet: call `awaitAnchored(_:)` with the version before answering.
    func write(_ plaintext: [UInt8], as name: (UInt64) -> StateFileName) throws(RuntimeError) -> UInt64 {
        let version = ledger.withLock { ledger in
            ledger.writing[ledger.open, default: 0] += 1
            return ledger.open
        }
        let file = name(version)
        let result = Result { () throws(RuntimeError) in try sealed.write(plaintext, purpose: file.purpose) }
        if case .failure = result {
            // Possibly renamed into place before the failure: it must not be anchored.
            sealed.remove(purpose: file.purpose)
        }
        let completed = ledger.withLock { ledger in
            if case .success(let hash) = result {
                ledger.files[file] = hash
                ledger.newest = max(ledger.newest, version)
            }
            ledger.writing[version, default: 1] -= 1
            guard ledger.writing[version] == 0 else { return false }
            ledger.writing[version] = nil
            return true
        }
        // Waiters care only for a version whose writes are all done: waking a thousand of them at every
        // write would cost more than the writes.
        if completed { ledger.changeAndBroadcast { _ in } }
        _ = try result.get()
        return version
    }

    /// Returns once the anchor holds `version` or a later one, advancing it if no advance is under way;
    /// throws `unavailable` if the advance that would cover `version` failed (the change is kept, and is
    /// anchored with a later one, but may not be acknowledged now).
    public func awaitAnchored(_ version: UInt64) throws(ChannelError) {
        let entered = ledger.withLock { $0.attempts }
        while true {
            let step = try ledger.wait(polling: 1) { (ledger) throws(ChannelError) -> Step? in
                if ledger.anchored.version >= version { return .done }
                if let failure = ledger.failure, failure.attempt > entered, failure.version >= version {
                    throw ChannelError(
                        .unavailable,
                        "the change is stored but could not be anchored at the certifier, so it is not acknowledged: \(failure.reason); send it again later")
                }
                guard !ledger.advancing else { return nil }
                // Close this version to new writes, so that a steady stream of them cannot keep it open:
                // later writes take the next version and go in the next advance.
                if ledger.open <= version { ledger.open = version + 1 }
                guard ledger.writing.keys.allSatisfy({ $0 > version }) else { return nil }
                // Lead an advance to the newest closed version whose files are all written: the one below
                // the first still being written, or below the open one (which the guard put above `version`).
                let target = (ledger.writing.keys.min() ?? ledger.open) - 1
                ledger.advancing = true
                ledger.attempts += 1
                ledger.open = max(ledger.open, target + 1)
                let files = CanonicalState.files(ledger.files.keys, at: target).map { ($0, ledger.files[$0] ?? []) }
                let to = AnchorState(
                    version: target, digest: CanonicalState.digest(federation: federation, version: target, files: files))
                return .lead(attempt: ledger.attempts, from: ledger.anchored, to: to)
            }
            guard case .lead(let attempt, let from, let to) = step else { return }
            lead(attempt: attempt, from: from, to: to)
        }
    }

    /// Returns once everything written so far is anchored; throws `unavailable` like `awaitAnchored(_:)`.
    public func awaitAllWritten() throws(ChannelError) {
        let latest = ledger.withLock { $0.newest }
        try awaitAnchored(latest)
    }

    private enum Step {
        case done
        case lead(attempt: Int, from: AnchorState, to: AnchorState)
    }

    /// Runs one advance, outside the lock, and records its outcome; on success removes the files it made
    /// garbage.
    private func lead(attempt: Int, from: AnchorState, to: AnchorState) {
        let outcome: Result<Void, AnchorFailure>
        if let anchor {
            outcome = Result { () throws(AnchorFailure) in try anchor.advance(federation: federation, from: from, to: to) }
        } else {
            outcome = .success(())
        }
        let garbage = ledger.changeAndBroadcast { ledger -> [StateFileName] in
            ledger.advancing = false
            switch outcome {
            case .success:
                ledger.anchored = to
                let kept = Set(CanonicalState.files(ledger.files.keys, at: to.version))
                let garbage = ledger.files.keys.filter { $0.seq <= to.version && !kept.contains($0) }
                for name in garbage { ledger.files[name] = nil }
                return garbage
            case .failure(let failure):
                ledger.failure = (attempt, to.version, failure.description)
                return []
            }
        }
        switch outcome {
        case .success:
            logger.debug("anchored version \(to.version) of the sealed state")
        case .failure(let failure):
            logger.error("could not anchor version \(to.version) of the sealed state at \(anchor?.location ?? "the anchor"): \(failure)")
            if case .conflict = failure { conflicted?(failure.description) }
        }
        for name in garbage { sealed.remove(purpose: name.purpose) }
    }

    /// The state at the anchored version as the folder holds it; throws naming what is stale.
    private static func check(
        folder names: [StateFileName], sealed: SealedStore, federation: String, anchor: any FreshnessAnchor,
        hash: (StateFileName) throws(RuntimeError) -> [UInt8], logger: Logger, patience: Duration
    ) throws(RuntimeError) -> AnchorState {
        let stored = try read(anchor: anchor, federation: federation, logger: logger, patience: patience)
        guard let stored else {
            guard names.isEmpty else {
                throw RuntimeError(
                    .staleState, "sealed state is stale: \(anchor.location) holds no anchor for federation \"\(federation)\", yet \(sealed.directory) holds "
                        + "\(names.count) sealed file\(names.count == 1 ? "" : "s") (\(names.prefix(3).map(\.description).joined(separator: ", "))): "
                        + "state that was never anchored is not trusted; start on an empty folder to begin the federation")
            }
            let fresh = AnchorState(version: 0, digest: CanonicalState.digest(federation: federation, version: 0, files: []))
            do {
                try anchor.advance(federation: federation, from: nil, to: fresh)
            } catch {
                throw RuntimeError(.anchorUnavailable, "cannot create the anchor of federation \"\(federation)\" at \(anchor.location): \(error)", cause: error)
            }
            logger.info("new federation \"\(federation)\": anchored version 0 at \(anchor.location)")
            return fresh
        }
        guard !names.isEmpty || stored.version == 0 else {
            throw RuntimeError(
                .staleState, "sealed state is missing: \(anchor.location) anchored version \(stored.version) of federation \"\(federation)\", "
                    + "and \(sealed.directory) holds no sealed state file; refusing to start afresh (the state was deleted or the folder is wrong)")
        }
        func digest(at version: UInt64) throws(RuntimeError) -> [UInt8] {
            var files: [(name: StateFileName, hash: [UInt8])] = []
            for name in CanonicalState.files(names, at: version) { files.append((name, try hash(name))) }
            return CanonicalState.digest(federation: federation, version: version, files: files)
        }
        if try digest(at: stored.version) == stored.digest {
            logger.info("sealed state matches the anchor at \(anchor.location): \(stored)")
            return stored
        }
        // Say what the folder holds instead, as precisely as a digest allows.
        let newest = names.map(\.seq).max() ?? 0
        let files = CanonicalState.files(names, at: stored.version).map(\.description)
        let shown = files.prefix(5).joined(separator: ", ") + (files.count > 5 ? ", ..." : "")
        let held =
            newest < stored.version
            ? "the folder holds version \(newest) at most (its newest file), an older copy: rolled back, or files deleted"
            : "the folder's state at that version (\(files.isEmpty ? "no file" : shown)) has another digest: a file of it is missing, older, replaced or renamed"
        throw RuntimeError(
            .staleState, "sealed state is stale: \(anchor.location) anchored version \(stored.version) (digest \(Hex.short(stored.digest))) of federation "
                + "\"\(federation)\"; \(held). Refusing to start: serving it would roll back acknowledged changes. "
                + "Restore the folder's latest state (docs/freshness.md)")
    }

    /// The anchor of `federation`, waiting for an unreachable anchor with backoff for at most `patience`.
    static func read(anchor: any FreshnessAnchor, federation: String, logger: Logger, patience: Duration) throws(RuntimeError) -> AnchorState? {
        let deadline = ContinuousClock.now + patience
        var delay = Duration.milliseconds(500)
        while true {
            do {
                return try anchor.read(federation: federation)
            } catch {
                guard case .unavailable(let reason) = error, ContinuousClock.now + delay < deadline else {
                    throw RuntimeError(.anchorUnavailable, "cannot read the anchor of the sealed state at \(anchor.location): \(error)", cause: error)
                }
                logger.warning("cannot read the anchor of the sealed state (\(reason)); trying again in \(delay)")
                Thread.sleep(forTimeInterval: delay.inSeconds)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
