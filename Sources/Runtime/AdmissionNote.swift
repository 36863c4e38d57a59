public import Foundation

/// The runtime's admission as the status shows it: the first 8 hex digits of its certificate's serial,
/// its expiry, and the SHA-256 of the signed policy it was issued under.
public struct AdmissionNote: Sendable, Equatable {
    /// The first 8 hex digits of the certificate's serial.
    public let serial: String
    /// When the certificate expires.
    public let expiry: Date
    /// The SHA-256 of the signed policy the certificate records; empty if it records none.
    public let policyHash: [UInt8]
}
