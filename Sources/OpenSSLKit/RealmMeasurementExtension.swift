/// The certificate extension in which the certifier records the realm initial measurement it admitted.
///
/// Defined here, once, so that the certifier that writes it and every peer that reads it agree.
public enum RealmMeasurementExtension {
    /// `2.25.<UUID as an integer>` (ITU-T X.667): a private arc that needs no registration.
    ///
    /// The UUID is 8eee70ea-8f12-4e5b-a888-ea2a7757f023, made once for ConfidentialML. The extension is
    /// non-critical and its value is a DER OCTET STRING holding the raw measurement bytes.
    public static let oid = "2.25.189988432267333467357462336223592312867"

    /// The extension's value (a DER OCTET STRING) for `measurement`.
    public static func value(measurement: [UInt8]) -> [UInt8] {
        DEROctetString.encode(measurement)
    }

    /// The measurement recorded in `certificate`; nil if it has no such extension or it is malformed.
    public static func measurement(in certificate: Certificate) -> [UInt8]? {
        certificate.extensionValue(oid: oid).flatMap(DEROctetString.decode)
    }
}
