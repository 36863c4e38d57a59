public import Protocol

/// Where the runtime anchors the version and digest of its sealed state, out of the host's reach
/// (docs/freshness.md): the certifier (`CertifierAnchor`), or memory for tests (`MemoryAnchor`).
public protocol FreshnessAnchor: Sendable {
    /// Where it is, for messages, e.g. "the certifier at 127.0.0.1:8123".
    var location: String { get }
    /// The anchor of `federation`, or nil if there is none yet.
    func read(federation: String) throws(AnchorFailure) -> AnchorState?
    /// Advances the anchor of `federation` from `from` (nil: creates it) to `to`, a compare-and-swap.
    func advance(federation: String, from: AnchorState?, to: AnchorState) throws(AnchorFailure)
}

/// Why an anchor could not be read or advanced.
public enum AnchorFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// It could not be reached or did not answer: try again later.
    case unavailable(String)
    /// It holds another anchor than the one the runtime started from; the text says what it holds.
    case conflict(String)

    /// The reason in words.
    public var description: String {
        switch self {
        case .unavailable(let reason): reason
        case .conflict(let reason): "anchor conflict: \(reason)"
        }
    }
}
