import CBORKit

/// One measured firmware or software component of the platform (an entry of claim 2399).
public struct SoftwareComponent: Sendable, Hashable {
    /// Label 1: what the component is, e.g. "RMM" or "BL" (optional).
    public var type: String?
    /// Label 2: the component's measurement.
    public var measurement: [UInt8]
    /// Label 4: the component's version (optional).
    public var version: String?
    /// Label 5: the hash of the key that signed the component.
    public var signerID: [UInt8]
    /// Label 6: the hash algorithm of the measurement, e.g. "sha-256" (optional).
    public var hashAlgorithm: String?

    static let typeField = Claim(1, "measurement type", kind: "label")
    static let measurementField = Claim(2, "measurement value", kind: "label")
    static let versionField = Claim(4, "version", kind: "label")
    static let signerIDField = Claim(5, "signer ID", kind: "label")
    static let hashAlgorithmField = Claim(6, "hash algorithm", kind: "label")

    /// A component with these fields.
    public init(type: String? = nil, measurement: [UInt8], version: String? = nil, signerID: [UInt8], hashAlgorithm: String? = nil) {
        self.type = type
        self.measurement = measurement
        self.version = version
        self.signerID = signerID
        self.hashAlgorithm = hashAlgorithm
    }

    /// Reads one entry of claim 2399, which must be a map with a measurement and a signer ID.
    init(decoding value: CBORValue) throws(AttestationError) {
        guard case .map(let fields) = value else {
            throw AttestationError(.wrongType, "it is \(value.typeWithArticle), expected a map")
        }
        let reader = ClaimReader(claims: fields)
        type = try reader.optionalText(Self.typeField)
        measurement = try reader.bytes(Self.measurementField)
        version = try reader.optionalText(Self.versionField)
        signerID = try reader.bytes(Self.signerIDField)
        hashAlgorithm = try reader.optionalText(Self.hashAlgorithmField)
    }

    /// The entry as a map, fields in key order.
    var cborValue: CBORValue {
        var fields = CBORMap()
        if let type { fields[int: Self.typeField.key] = .text(type) }
        fields[int: Self.measurementField.key] = .bytes(measurement)
        if let version { fields[int: Self.versionField.key] = .text(version) }
        fields[int: Self.signerIDField.key] = .bytes(signerID)
        if let hashAlgorithm { fields[int: Self.hashAlgorithmField.key] = .text(hashAlgorithm) }
        return .map(fields)
    }
}
