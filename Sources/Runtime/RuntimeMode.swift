/// What the runtime does with devices' data.
public enum RuntimeMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Devices send words; the runtime trains on them and returns the new model (the original's ML setting).
    case ml
    /// Devices train locally and send their models; the runtime aggregates them in rounds (the original's
    /// FL setting, for any number of devices).
    case fl

    /// "ML mode" or "FL mode", as logs and transcripts say it.
    public var description: String { "\(rawValue.uppercased()) mode" }
}
