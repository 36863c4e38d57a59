/// A differential-privacy setting out of range: `field` is the setting's name as the policy
/// (`fl.privacy.<field>`) and `cml-policy privacy` (`--<field>`) spell it.
public struct PrivacyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The setting, e.g. `sampling-rate`.
    public let field: String
    /// What is wrong with it and what is expected.
    public let reason: String

    /// The error for `field`.
    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// "<field> <reason>".
    public var description: String { "\(field) \(reason)" }
}
