import Channel
import Protocol

/// Why the runtime cannot start or keep its state: a sealed file it refuses, a missing secret, a
/// listener it cannot open. The message names the file or setting and says what to do.
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in words.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension ChannelError {
    /// `no-model`: the provider has sent no model yet (the original hung here instead).
    static let noModelYet = ChannelError(.noModel, "the runtime has no model yet: the model provider must send one first")
}
