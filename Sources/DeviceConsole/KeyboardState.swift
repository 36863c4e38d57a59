/// What the keyboard page shows besides the prediction, as `GET /state` answers it: the model and its
/// round, whether the runtime was admitted (or refused, and why), and the session's last line.
public struct KeyboardState: Codable, Sendable, Equatable {
    /// "ml" (the runtime trains) or "fl" (the device trains and the runtime aggregates rounds).
    public var mode: String
    /// The runtime's address.
    public var runtime: String
    /// The id of the model the device predicts with (hex), nil before the first download.
    public var modelID: String?
    /// Its first eight hex digits, as the CLIs print it.
    public var shortID: String?
    /// The model's round (FL) or generation (ML), as the runtime labelled it.
    public var round: UInt64?
    /// True once the device talked to the runtime: it presented an admission of this domain.
    public var admitted: Bool
    /// Why the device refused the runtime (its certificate, role or revocation), in the words the CLI
    /// prints; nil unless refused.
    public var refused: String?
    /// Why the device could not use the runtime otherwise (unreachable, the other mode, no model); nil when it can.
    public var problem: String?
    /// The session's last line (what the terminal session would have printed last).
    public var status: String
    /// True while the device is connecting or training: the page disables the train button.
    public var busy: Bool

    /// The state before the device has talked to the runtime at `runtime`.
    public init(mode: String, runtime: String) {
        self.mode = mode
        self.runtime = runtime
        admitted = false
        status = "connecting to the runtime at \(runtime) ..."
        busy = true
    }
}
