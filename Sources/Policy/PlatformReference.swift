/// Platform reference values; each part that is present must match the platform token.
public struct PlatformReference: Codable, Hashable, Sendable {
    /// Accepted security lifecycle states, as inclusive ranges.
    public var lifecycles: [LifecycleRange]?
    /// Software components that must each appear in the token.
    public var softwareComponents: [SoftwareComponentReference]?
    /// The exact platform configuration claim.
    public var config: HexBytes?

    /// Reference values; a part left nil is not checked.
    public init(
        lifecycles: [LifecycleRange]? = nil, softwareComponents: [SoftwareComponentReference]? = nil,
        config: HexBytes? = nil
    ) {
        self.lifecycles = lifecycles
        self.softwareComponents = softwareComponents
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case lifecycles
        case softwareComponents = "sw-components"
        case config
    }
}

/// An inclusive range of security lifecycle values, such as 0x3000...0x30ff ("secured").
public struct LifecycleRange: Codable, Hashable, Sendable {
    /// The lowest accepted value.
    public var min: Int
    /// The highest accepted value.
    public var max: Int

    /// The range `min...max`.
    public init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }

    /// The CCA "secured" states.
    public static let secured = LifecycleRange(min: 0x3000, max: 0x30ff)

    /// Whether `value` lies in the range; an inverted range (min > max) holds nothing.
    ///
    /// Compared without building a `ClosedRange`, which traps when min > max: a range comes from a
    /// policy file, and a bad one must never stop the certifier.
    public func contains(_ value: Int) -> Bool { min <= value && value <= max }
}

/// A software component the platform must report; it matches on measurement and type, and on
/// signer ID and version where given.
public struct SoftwareComponentReference: Codable, Hashable, Sendable {
    /// The component type (label 1), e.g. "RMM"; nil matches any.
    public var type: String?
    /// The measurement (label 2), which must match.
    public var measurement: HexBytes
    /// The signer ID (label 5); nil matches any.
    public var signerID: HexBytes?
    /// The version (label 4); nil matches any.
    public var version: String?

    /// A reference component; the optional parts narrow the match when given.
    public init(type: String? = nil, measurement: HexBytes, signerID: HexBytes? = nil, version: String? = nil) {
        self.type = type
        self.measurement = measurement
        self.signerID = signerID
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case type = "component-type"
        case measurement = "measurement-value"
        case signerID = "signer-id"
        case version
    }
}
