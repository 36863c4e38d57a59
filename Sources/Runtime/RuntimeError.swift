import Channel
import Protocol

/// Why the runtime cannot start or keep its state: a sealed file it refuses, a missing secret, a
/// listener it cannot open. The message names the file or setting and says what to do.
///
/// Equal when code and message are: the cause is there to be inspected, not compared.
public struct RuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is, for a program to switch on; the message is for people.
    public enum Code: String, Sendable, Equatable {
        /// The sealing secret is too short, or the sealing key cannot be derived or used.
        case sealingKeyUnusable = "sealing-key-unusable"
        /// The sealed-state folder, or a file in it, cannot be made, read, listed or written.
        case sealedStateIO = "sealed-state-io"
        /// A sealed file is not one this runtime sealed for that purpose, or its contents do not decode.
        case sealedFileCorrupt = "sealed-file-corrupt"
        /// The sealed state is older than, or missing from, what the freshness anchor holds.
        case staleState = "stale-state"
        /// The freshness anchor cannot be read or created.
        case anchorUnavailable = "anchor-unavailable"
        /// The policy asks for something this runtime cannot serve (its fl settings, its channels).
        case policyUnusable = "policy-unusable"
        /// The runtime was set up wrongly: a TLS context or a mode that does not fit.
        case misconfigured
        /// The channel server cannot listen or start.
        case serverFailed = "server-failed"
        /// The shared database cannot be reached, refuses the login or a statement, or holds another schema version.
        case storeFailed = "store-failed"
    }

    /// What kind of failure it is.
    public let code: Code
    /// What went wrong, in words.
    public let message: String
    /// The error underneath (a FileError, an OpenSSLError, a CBORError, a ChannelError, ...), when this
    /// one wraps one; its words are already in `message`.
    public let cause: (any Error)?

    /// An error of `code` saying `message`, caused by `cause` if given.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message.
    public var description: String { message }

    /// Whether `lhs` and `rhs` have the same code and message.
    public static func == (lhs: RuntimeError, rhs: RuntimeError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}

extension ChannelError {
    /// `no-model`: the provider has sent no model yet (the original hung here instead).
    static let noModelYet = ChannelError(.noModel, "the runtime has no model yet: the model provider must send one first")
}
