public import OpenSSLKit
import Synchronization

/// The TLS context a client makes its next connection with, replaceable from any thread: a renewed
/// admission (`AdmissionRenewal`) puts its context here, and connections made from then on present it.
public final class ReplaceableContext: Sendable {
    private let context: Mutex<TLSContext>

    /// Starting with `context`.
    public init(_ context: TLSContext) {
        self.context = Mutex(context)
    }

    /// The context for the next connection.
    public var current: TLSContext { context.withLock { $0 } }

    /// Connections made from now on use `context`; open ones keep theirs.
    public func replace(with context: TLSContext) {
        self.context.withLock { $0 = context }
    }
}
