public import Foundation

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var inSeconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
