public import ArgumentParser

/// A failure the user should read: ArgumentParser prints `Error: <message>` and the command exits 1.
public struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, naming the file, field or argument; on one line, control characters escaped.
    public let message: String
    /// The error underneath, when this failure reports one; its words are already in `message`.
    public let cause: (any Error)?

    /// A failure saying `message`, which may quote what a peer sent (an impostor's certificate name):
    /// its control characters are escaped. `cause` is the error it reports, if any.
    public init(_ message: String, cause: (any Error)? = nil) {
        self.message = PrintableText.escapingControls(message)
        self.cause = cause
    }

    /// The message.
    public var description: String { message }
}

extension ExitCode {
    /// Exit code for bad usage, as sysexits.h's EX_USAGE.
    public static let usage = ExitCode(64)
}
