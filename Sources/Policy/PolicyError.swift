/// Why a policy could not be read, filled in, signed or trusted.
public struct PolicyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Where in the document, as a dotted path such as `roles.runtime.initial-measurements[0]`; empty for the whole.
    public let path: String
    /// What was wrong there.
    public let reason: String

    /// An error at `path` (empty: the whole document) for `reason`.
    public init(path: String = "", _ reason: String) {
        self.path = path
        self.reason = reason
    }

    /// "path: reason", or the reason alone for the whole document.
    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}
