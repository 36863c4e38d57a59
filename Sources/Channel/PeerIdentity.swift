public import Foundation
public import OpenSSLKit
internal import ByteKit

/// Who the peer is, read from its trusted admission certificate: role, measurement, serial, expiry.
public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The prefix of the subject alternative name URI that names a role: `cml:role:<role>`.
    public static let roleURIPrefix = "cml:role:"

    /// The role, e.g. "device".
    public let role: String
    /// The realm initial measurement the certifier admitted, as lowercase hex; nil if the certificate
    /// carries none (the certifier's own certificate, which no attestation produced).
    public let measurement: String?
    /// The certificate's serial number, as lowercase hex.
    public let serialNumber: String
    /// When the certificate expires.
    public let notAfter: Date
    /// The certificate itself.
    public let certificate: Certificate

    /// The SAN URI that names `role`: `cml:role:<role>`.
    public static func roleURI(_ role: String) -> String {
        roleURIPrefix + role
    }

    /// The identity in `certificate`, which the caller has already found trusted.
    ///
    /// Throws `not-authorized` if it names no role, several roles, a role that is not a plain lowercase
    /// name, a common name other than the role, or a measurement extension that does not parse. The
    /// message reads after "its certificate " (or "your certificate "): "names no role (...)".
    public init(certificate: Certificate) throws(ChannelError) {
        let refuse = { (reason: String) in ChannelError(kind: .refused, code: .notAuthorized, message: reason) }
        let roles = certificate.uriSubjectAlternativeNames.filter { $0.hasPrefix(Self.roleURIPrefix) }
            .map { String($0.dropFirst(Self.roleURIPrefix.count)) }
        guard let role = roles.first else {
            throw refuse("names no role (no \(Self.roleURIPrefix)<role> URI)")
        }
        guard roles.count == 1 else {
            throw refuse("names \(roles.count) roles (\(roles.joined(separator: ", "))), not one")
        }
        guard !role.isEmpty, role.allSatisfy({ ("a"..."z").contains($0) || $0 == "-" }) else {
            throw refuse("names the role \"\(role)\", which is not a lowercase name")
        }
        guard certificate.subjectCommonName == role else {
            throw refuse(
                "names the role \"\(role)\" but its common name is \"\(certificate.subjectCommonName ?? "")\"")
        }
        var measurement: String?
        if certificate.extensionValue(oid: RealmMeasurementExtension.oid) != nil {
            guard let bytes = RealmMeasurementExtension.measurement(in: certificate), !bytes.isEmpty else {
                throw refuse("has a measurement extension that is not an OCTET STRING")
            }
            measurement = Hex.encode(bytes)
        }
        self.role = role
        self.measurement = measurement
        self.serialNumber = certificate.serialNumberHex
        self.notAfter = certificate.notAfter
        self.certificate = certificate
    }

    /// "device (measurement c4a9e310..., serial 5a3f1c0b...)".
    public var description: String {
        let serial = serialNumber.count > 8 ? String(serialNumber.prefix(8)) + "..." : serialNumber
        guard let measurement else { return "\(role) (serial \(serial))" }
        return "\(role) (measurement \(measurement.prefix(8))..., serial \(serial))"
    }
}
