public import Foundation
import ByteKit
public import OpenSSLKit

/// The admission certificate: what the certifier issues to an admitted program, and what every peer
/// reads to learn who it talks to. The one place that knows its format.
///
/// X.509 v3 from the policy key: subject CN = the role, one SAN URI `cml:role:<role>`, the realm initial
/// measurement (when an attestation produced one) in a private non-critical extension holding a DER
/// OCTET STRING, digitalSignature, serverAuth and clientAuth, and a random 128-bit serial.
public struct AdmissionCertificate: Sendable, Equatable, CustomStringConvertible {
    /// The prefix of the subject alternative name URI that names a role: `cml:role:<role>`.
    public static let roleURIPrefix = "cml:role:"

    /// The OID of the extension that records the realm initial measurement: `2.25.<UUID as an integer>`
    /// (ITU-T X.667), a private arc that needs no registration.
    ///
    /// The UUID is 8eee70ea-8f12-4e5b-a888-ea2a7757f023, made once for ConfidentialML.
    public static let measurementOID = "2.25.189988432267333467357462336223592312867"

    /// The role it admits.
    public let role: Role
    /// The realm initial measurement the certifier admitted; nil if the certificate records none (the
    /// certifier's own certificate, which no attestation produced).
    public let measurement: [UInt8]?
    /// The serial number's big-endian magnitude.
    public let serial: [UInt8]
    /// The start of its validity.
    public let notBefore: Date
    /// When it expires.
    public let notAfter: Date
    /// The certificate itself.
    public let certificate: Certificate

    /// The SAN URI that names `role`: `cml:role:<role>`.
    public static func roleURI(_ role: Role) -> String {
        roleURIPrefix + role.rawValue
    }

    /// A certificate admitting `subjectKey` as `role`, recording `measurement` when an attestation
    /// produced one, valid from `notBefore` to `notAfter`, signed by `policyKey` under `policyCertificate`.
    public static func issue(
        role: Role, measurement: [UInt8]?, subjectKey: ECPublicKey, notBefore: Date, notAfter: Date,
        serial: [UInt8] = CertificateBuilder.randomSerialNumber(), policyKey: ECPrivateKey, policyCertificate: Certificate
    ) throws(OpenSSLError) -> Certificate {
        var builder = CertificateBuilder(
            subjectCommonName: role.rawValue, subjectPublicKey: subjectKey, notBefore: notBefore, notAfter: notAfter)
        builder.serialNumber = serial
        builder.uriSubjectAlternativeNames = [roleURI(role)]
        if let measurement {
            builder.customExtensions = [.init(oid: measurementOID, value: DEROctetString.encode(measurement))]
        }
        return try builder.issued(by: policyCertificate, issuerKey: policyKey)
    }

    /// The admission that `certificate` states; the caller has already found it trusted (issued by the
    /// policy key, valid now).
    ///
    /// Throws if it names no role, several roles, a role that is not a role name, a common name other
    /// than the role, or a measurement extension that does not parse. The reason reads after "its
    /// certificate ": "names no role (...)".
    public init(trusted certificate: Certificate) throws(AdmissionCertificateError) {
        let roles = certificate.uriSubjectAlternativeNames.filter { $0.hasPrefix(Self.roleURIPrefix) }
            .map { String($0.dropFirst(Self.roleURIPrefix.count)) }
        guard let name = roles.first else {
            throw AdmissionCertificateError("names no role (no \(Self.roleURIPrefix)<role> URI)")
        }
        guard roles.count == 1 else {
            throw AdmissionCertificateError("names \(roles.count) roles (\(roles.joined(separator: ", "))), not one")
        }
        guard let role = Role(rawValue: name) else {
            throw AdmissionCertificateError("names the role \"\(name)\", which is not a lowercase name")
        }
        guard certificate.subjectCommonName == name else {
            throw AdmissionCertificateError(
                "names the role \"\(name)\" but its common name is \"\(certificate.subjectCommonName ?? "")\"")
        }
        var measurement: [UInt8]?
        if let value = certificate.extensionValue(oid: Self.measurementOID) {
            guard let bytes = DEROctetString.decode(value), !bytes.isEmpty else {
                throw AdmissionCertificateError("has a measurement extension that is not an OCTET STRING")
            }
            measurement = bytes
        }
        self.role = role
        self.measurement = measurement
        self.serial = certificate.serialNumber
        self.notBefore = certificate.notBefore
        self.notAfter = certificate.notAfter
        self.certificate = certificate
    }

    /// "device (measurement c4a9e310..., serial 5a3f1c0b...)".
    public var description: String {
        let serial = Hex.short(self.serial)
        guard let measurement else { return "\(role) (serial \(serial))" }
        return "\(role) (measurement \(Hex.short(measurement)), serial \(serial))"
    }
}
