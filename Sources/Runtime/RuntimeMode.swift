/// What the runtime does with devices' data.
public enum RuntimeMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Devices send words; the runtime trains on them and returns the new model (the original's ML setting).
    case ml

    /// "ML mode", as logs and transcripts say it.
    public var description: String { "\(rawValue.uppercased()) mode" }
}
