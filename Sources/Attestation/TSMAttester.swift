import ByteKit

#if canImport(Glibc)
import Glibc
#endif

/// The attester of a real CCA realm: Linux's configfs-tsm report interface.
///
/// For each token it makes a report entry `<root>/report/<name>`, writes the 64-byte challenge to
/// `inblob`, reads the token from `outblob`, and removes the entry. The kernel's `generation` counter is
/// read before and after `outblob` when present: a different value means another writer changed the
/// entry meanwhile, and the token may not be for this challenge.
public struct TSMAttester: Attester {
    /// "tsm".
    public let name = "tsm"
    /// The configfs-tsm folder; /sys/kernel/config/tsm on a realm, a fake tree in tests.
    public let root: String
    /// The report entry to use; nil makes (and removes) a fresh one per token. An entry that already
    /// exists under this name, such as one a launcher prepared, is used as it is and left in place.
    public let entryName: String?

    /// The default configfs-tsm folder.
    public static let defaultRoot = "/sys/kernel/config/tsm"

    /// An attester using configfs-tsm at `root`.
    public init(root: String = TSMAttester.defaultRoot, entryName: String? = nil) {
        self.root = root
        self.entryName = entryName
    }

    /// Whether configfs-tsm reports are available at `root`.
    public static func isAvailable(root: String = TSMAttester.defaultRoot) -> Bool {
        FileBytes.exists("\(root)/report")
    }

    /// A token for `challenge`, from the kernel.
    public func token(challenge: [UInt8]) throws(AttestationError) -> [UInt8] {
        guard let padded = RealmChallenge.padded(challenge) else {
            throw AttestationError(.wrongSize, "the challenge has \(quantity(challenge.count, "byte")), expected 1 to 64")
        }
        let reports = "\(root)/report"
        guard FileBytes.exists(reports) else {
            throw AttestationError(
                .invalidValue,
                "configfs-tsm is not available: \(reports) does not exist (the tsm attester needs a CCA realm with Linux 6.7 or later "
                    + "and configfs mounted at /sys/kernel/config; use the sim attester elsewhere)")
        }
        let entry = "\(reports)/\(entryName ?? "cml-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")"
        let made = mkdir(entry, 0o700) == 0
        if !made && !(errno == EEXIST && entryName != nil) {
            throw failure("cannot make the report entry \(entry)", FileError.current(entry))
        }
        defer { if made { rmdir(entry) } }

        let generationBefore = try generation(entry)
        do {
            try FileBytes.writeInPlace(padded, to: "\(entry)/inblob")
        } catch {
            throw failure("cannot write the challenge", error)
        }
        let written = try generation(entry)
        let token: [UInt8]
        do {
            token = try FileBytes.read("\(entry)/outblob", limit: CCAToken.maximumFileSize)
        } catch {
            throw failure("cannot read the token", error)
        }
        let after = try generation(entry)
        if let written, let after, written != after {
            throw AttestationError(
                .invalidValue,
                "configfs-tsm: the report \(entry) changed while it was read (generation \(written) -> \(after)); another writer uses it")
        }
        if let generationBefore, let written, made, written == generationBefore {
            throw AttestationError(.invalidValue, "configfs-tsm: writing the challenge did not start a new report (generation stayed \(written))")
        }
        guard !token.isEmpty else {
            throw AttestationError(.invalidValue, "configfs-tsm: \(entry)/outblob is empty (does this realm support attestation?)")
        }
        return token
    }

    /// A configfs `generation` attribute holds a decimal counter; 64 bytes is more than any.
    static let generationFileSize = FileSizeLimit(bytes: 64, kind: "a configfs generation counter")

    /// The entry's `generation` counter, or nil if the entry has none.
    private func generation(_ entry: String) throws(AttestationError) -> UInt64? {
        let path = "\(entry)/generation"
        guard FileBytes.exists(path) else { return nil }
        let text: String
        do {
            text = try FileBytes.readText(path, limit: Self.generationFileSize)
        } catch {
            throw failure("cannot read the generation", error)
        }
        guard let value = UInt64(text.trimmingWhitespace) else {
            throw AttestationError(.invalidValue, "configfs-tsm: \(path) holds \"\(text.prefix(20))\", not a number")
        }
        return value
    }

    private func failure(_ what: String, _ error: FileError) -> AttestationError {
        AttestationError(.invalidValue, "configfs-tsm: \(what): \(error)")
    }
}

extension String {
    /// The text without leading and trailing spaces and newlines (Foundation-free).
    fileprivate var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
