import ByteKit
import Foundation

extension Duration {
    /// The duration as people read it in a transcript: `850 us`, `3.9 ms`, `1.24 s`, `2 min 5 s`.
    public var readable: String {
        let seconds = inSeconds
        switch seconds {
        case ..<1e-3: return "\(Int((seconds * 1e6).rounded())) us"
        case ..<1: return String(format: "%.1f ms", seconds * 1e3)
        case ..<100: return String(format: "%.2f s", seconds)
        default: return "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
        }
    }
}
