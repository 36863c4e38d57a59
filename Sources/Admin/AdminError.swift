/// What went wrong with the admin endpoint or a `status` fetch, in words.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the address.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
