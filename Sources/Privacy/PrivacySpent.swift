/// The (epsilon, delta) guarantee after some rounds, and the Rényi order that gave the tightest epsilon.
public struct PrivacySpent: Hashable, Sendable {
    /// The epsilon spent.
    public let epsilon: Double
    /// The delta it holds at.
    public let delta: Double
    /// The rounds released.
    public let rounds: Int
    /// The Rényi order whose conversion gave `epsilon`.
    public let order: Double
}
