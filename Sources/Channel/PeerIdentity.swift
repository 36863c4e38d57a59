public import Foundation
public import OpenSSLKit
public import Policy
internal import ByteKit

/// Who the peer is: its trusted admission certificate as read (role, measurement, serial, expiry).
public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The admission the peer's certificate states.
    public let admission: AdmissionCertificate

    /// The role, e.g. `.device`.
    public var role: Role { admission.role }
    /// The realm initial measurement the certifier admitted; nil for a certificate that records none.
    public var measurement: [UInt8]? { admission.measurement }
    /// The instance ID of the platform that attested the peer; nil for a certificate that records none.
    public var platformInstance: [UInt8]? { admission.platformInstance }
    /// The platform instance as lowercase hex, a key for counting per platform; nil when not named.
    public var platformKey: String? { admission.platformInstance.map { Hex.encode($0) } }
    /// The certificate's serial number (big-endian magnitude).
    public var serialNumber: [UInt8] { admission.serial }
    /// When the certificate expires.
    public var notAfter: Date { admission.notAfter }
    /// The certificate itself.
    public var certificate: Certificate { admission.certificate }

    /// The identity in `certificate`, which the caller has already found trusted.
    ///
    /// Throws `not-authorized` if it is not an admission certificate (see `AdmissionCertificate`); the
    /// message reads after "its certificate " (or "your certificate "): "names no role (...)".
    public init(certificate: Certificate) throws(ChannelError) {
        do {
            admission = try AdmissionCertificate(trusted: certificate)
        } catch {
            throw ChannelError(kind: .refused, code: .notAuthorized, message: error.reason, cause: error)
        }
    }

    /// "device (measurement c4a9e310..., serial 5a3f1c0b...)".
    public var description: String { admission.description }
}
