import Foundation

extension Duration {
    /// The duration in seconds.
    var inSeconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
