public import Foundation
public import Policy

/// A peer connected to a server now, as the status shows it: its role, the first 8 hex digits of its
/// certificate's serial and when it connected. Nothing else about it (no address, no key).
public struct ConnectedPeer: Sendable, Equatable {
    /// The role its admission certificate names.
    public let role: Role
    /// The first 8 hex digits of its certificate's serial.
    public let shortID: String
    /// When its handshake finished.
    public let since: Date

    /// A peer of `role` with certificate serial prefix `shortID`, connected since `since`.
    public init(role: Role, shortID: String, since: Date) {
        self.role = role
        self.shortID = shortID
        self.since = since
    }
}
