import ArgumentParser

/// A failure the user should read: ArgumentParser prints `Error: <message>` and the command exits 1.
public struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong, naming the file, field or argument.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension ExitCode {
    /// Exit code for bad usage, as sysexits.h's EX_USAGE.
    public static let usage = ExitCode(64)
}
