/// Why the certifier could not set up, load its state, or start serving; the message names the file or
/// the part that is wrong, and what to do.
public struct CertifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
