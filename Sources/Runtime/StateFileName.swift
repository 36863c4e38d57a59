/// The name (SealedStore purpose) of a sealed state file: it carries the anchor version `seq` the file
/// belongs to (docs/freshness.md). The name is the file's AES-GCM associated data, so it is
/// authenticated: renaming a file makes it fail to open.
///
/// ```
/// model-<seq>                     ML: the current model
/// global-<round>-<seq>            FL: the global model of <round>
/// update-<round>-<serial>-<seq>   FL: the update of device <serial> (hex) in <round>
/// ```
public struct StateFileName: Sendable, Hashable, CustomStringConvertible {
    /// What the file holds.
    public enum Kind: String, Sendable {
        /// ML: the current model.
        case model
        /// FL: a global model.
        case global
        /// FL: a device's update.
        case update
    }

    /// What the file holds.
    public let kind: Kind
    /// The round (0 for a model).
    public let round: UInt64
    /// The device certificate's serial (updates only; empty otherwise).
    public let serial: String
    /// The anchor version the file belongs to.
    public let seq: UInt64

    /// The ML model file of version `seq`.
    public static func model(seq: UInt64) -> StateFileName {
        StateFileName(kind: .model, round: 0, serial: "", seq: seq)
    }

    /// The FL global model file of `round`, version `seq`.
    public static func global(round: UInt64, seq: UInt64) -> StateFileName {
        StateFileName(kind: .global, round: round, serial: "", seq: seq)
    }

    /// The FL update file of `serial` in `round`, version `seq`.
    public static func update(round: UInt64, serial: String, seq: UInt64) -> StateFileName {
        StateFileName(kind: .update, round: round, serial: serial, seq: seq)
    }

    private init(kind: Kind, round: UInt64, serial: String, seq: UInt64) {
        self.kind = kind
        self.round = round
        self.serial = serial
        self.seq = seq
    }

    /// The name in `purpose`, or nil if it is not one of a state file.
    public init?(purpose: String) {
        let parts = purpose.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let kind = Kind(rawValue: first), let seq = parts.last.flatMap({ UInt64($0) }) else { return nil }
        switch (kind, parts.count) {
        case (.model, 2):
            self.init(kind: kind, round: 0, serial: "", seq: seq)
        case (.global, 3):
            guard let round = UInt64(parts[1]) else { return nil }
            self.init(kind: kind, round: round, serial: "", seq: seq)
        case (.update, 4):
            guard let round = UInt64(parts[1]), !parts[2].isEmpty, parts[2].allSatisfy(\.isHexDigit) else { return nil }
            self.init(kind: kind, round: round, serial: parts[2], seq: seq)
        default:
            return nil
        }
        // Only the spelling this type writes: "model-07" would be a second name for version 7.
        guard self.purpose == purpose else { return nil }
    }

    /// The purpose, e.g. "update-3-0a1b-12".
    public var purpose: String {
        switch kind {
        case .model: "model-\(seq)"
        case .global: "global-\(round)-\(seq)"
        case .update: "update-\(round)-\(serial)-\(seq)"
        }
    }

    /// The file name, e.g. "update-3-0a1b-12.sealed".
    public var description: String { "\(purpose).sealed" }
}
