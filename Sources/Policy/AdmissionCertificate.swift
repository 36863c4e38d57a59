public import Foundation
import ByteKit
public import OpenSSLKit

/// The admission certificate: what the certifier issues to an admitted program, and what every peer
/// reads to learn who it talks to. The one place that knows its format.
///
/// X.509 v3 from the issuing key (see `IssuingCertificate`; the chain is admission <- issuing <- policy
/// certificate, and a peer is sent both certificates): subject CN = the role, one SAN URI `cml:role:<role>`, the realm initial
/// measurement (when an attestation produced one), the SHA-256 of the signed policy it was issued under
/// and the platform's instance ID, each in a private non-critical extension holding a DER OCTET STRING,
/// digitalSignature, serverAuth and clientAuth, and a random 128-bit serial.
public struct AdmissionCertificate: Sendable, Equatable, CustomStringConvertible {
    /// The prefix of the subject alternative name URI that names a role: `cml:role:<role>`.
    public static let roleURIPrefix = "cml:role:"

    /// The OID of the extension that records the realm initial measurement: `2.25.<UUID as an integer>`
    /// (ITU-T X.667), a private arc that needs no registration.
    ///
    /// The UUID is 8eee70ea-8f12-4e5b-a888-ea2a7757f023, made once for ConfidentialML.
    public static let measurementOID = "2.25.189988432267333467357462336223592312867"
    /// The OID of the extension that records the SHA-256 of the signed policy (the COSE_Sign1 bytes the
    /// certifier serves) the certificate was issued under, so that a role refuses a swapped policy file.
    ///
    /// The UUID is 0c81f4cd-7170-493d-90c5-bb681f5c4ac0, made once for ConfidentialML.
    public static let policyHashOID = "2.25.16625507428994141340744187937258490560"
    /// The OID of the extension that records the attesting platform's instance ID claim (raw bytes), so
    /// that the runtime can count one voice per platform.
    ///
    /// The UUID is d4650143-4bcf-4be5-b18b-bb8c049e750d, made once for ConfidentialML.
    public static let platformInstanceOID = "2.25.282320782703272656549314961496304678157"
    /// The longest platform instance ID a certificate may record: a CCA instance ID is 33 bytes.
    public static let maximumPlatformInstanceSize = 64

    /// The role it admits.
    public let role: Role
    /// The realm initial measurement the certifier admitted; nil if the certificate records none (the
    /// certifier's own certificate, which no attestation produced).
    public let measurement: [UInt8]?
    /// The SHA-256 of the signed policy the certificate was issued under; nil if it records none (the
    /// certifier's own certificate).
    public let policyHash: [UInt8]?
    /// The instance ID claim of the platform that attested; nil if it records none (the certifier's own
    /// certificate).
    public let platformInstance: [UInt8]?
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
    /// produced one, the SHA-256 of the signed policy (`policyHash`) and the platform's instance ID when
    /// given, valid from `notBefore` to `notAfter`, signed by `issuerKey` under `issuerCertificate` (the
    /// issuing certificate).
    public static func issue(
        role: Role, measurement: [UInt8]?, policyHash: [UInt8]? = nil, platformInstance: [UInt8]? = nil, subjectKey: ECPublicKey,
        notBefore: Date, notAfter: Date, serial: [UInt8] = CertificateBuilder.randomSerialNumber(), issuerKey: ECPrivateKey,
        issuerCertificate: Certificate
    ) throws(OpenSSLError) -> Certificate {
        var builder = CertificateBuilder(
            subjectCommonName: role.rawValue, subjectPublicKey: subjectKey, notBefore: notBefore, notAfter: notAfter)
        builder.serialNumber = serial
        builder.uriSubjectAlternativeNames = [roleURI(role)]
        for (oid, value) in [(measurementOID, measurement), (policyHashOID, policyHash), (platformInstanceOID, platformInstance)] {
            if let value { builder.customExtensions.append(.init(oid: oid, value: DEROctetString.encode(value))) }
        }
        return try builder.issued(by: issuerCertificate, issuerKey: issuerKey)
    }

    /// The admission that `certificate` states; the caller has already found it trusted (its chain ends
    /// at the policy certificate, valid now).
    ///
    /// Throws if it names no role, several roles, a role that is not a role name, a common name other
    /// than the role, or a measurement, policy hash or platform instance extension that does not parse. The reason reads after "its
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
        self.role = role
        self.measurement = try Self.octets(in: certificate, oid: Self.measurementOID, name: "measurement") { !$0.isEmpty }
        self.policyHash = try Self.octets(in: certificate, oid: Self.policyHashOID, name: "policy hash", size: " of 32 bytes") {
            $0.count == Digest.sha256.size
        }
        self.platformInstance = try Self.octets(
            in: certificate, oid: Self.platformInstanceOID, name: "platform instance", size: " of 1 to \(Self.maximumPlatformInstanceSize) bytes"
        ) { (1...Self.maximumPlatformInstanceSize).contains($0.count) }
        self.serial = certificate.serialNumber
        self.notBefore = certificate.notBefore
        self.notAfter = certificate.notAfter
        self.certificate = certificate
    }

    /// The bytes of the extension `oid` in `certificate`, nil if it has none; throws naming the extension
    /// `name` unless it holds one OCTET STRING whose bytes pass `isValid` (`size` says what passes).
    private static func octets(
        in certificate: Certificate, oid: String, name: String, size: String = "", isValid: ([UInt8]) -> Bool
    ) throws(AdmissionCertificateError) -> [UInt8]? {
        guard let value = certificate.extensionValue(oid: oid) else { return nil }
        guard let bytes = DEROctetString.decode(value), isValid(bytes) else {
            throw AdmissionCertificateError("has a \(name) extension that is not an OCTET STRING\(size)")
        }
        return bytes
    }

    /// "device (measurement c4a9e310..., serial 5a3f1c0b...)".
    public var description: String {
        let serial = Hex.short(self.serial)
        guard let measurement else { return "\(role) (serial \(serial))" }
        return "\(role) (measurement \(Hex.short(measurement)), serial \(serial))"
    }
}
