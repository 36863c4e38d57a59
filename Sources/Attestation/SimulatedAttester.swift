public import OpenSSLKit

/// The attester of a simulated realm: a real CCA token, built in-process, whose realm initial
/// measurement is the SHA-256 of the running executable and whose platform token is signed by a
/// platform key read from a file. The protocol and checks are those of hardware; the protection is not.
public struct SimulatedAttester: Attester {
    /// "sim".
    public let name = "sim"
    /// The simulated platform's key (CPAK).
    public let platformKey: ECPrivateKey
    /// The realm attestation key; one per process, as a real RMM keeps one per boot.
    public let realmKey: ECPrivateKey
    /// The realm initial measurement the tokens report.
    public let measurement: [UInt8]
    /// The outer form of the tokens.
    public let format: CCATokenFormat

    /// The RAK of this process, made on first use.
    public static let processRealmKey = ECPrivateKey(generating: .p384)

    /// An attester for this process: its executable's measurement and the process RAK, unless given.
    public init(
        platformKey: ECPrivateKey, measurement: [UInt8]? = nil, realmKey: ECPrivateKey = SimulatedAttester.processRealmKey,
        format: CCATokenFormat = .tag907
    ) throws(AttestationError) {
        self.platformKey = platformKey
        if let measurement {
            self.measurement = measurement
        } else {
            self.measurement = try ExecutableMeasurement.current()
        }
        self.realmKey = realmKey
        self.format = format
    }

    /// An attester for this process whose platform key is in the platform folder `directory`.
    public init(platformDirectory directory: String) throws(AttestationError) {
        try self.init(platformKey: SimulatedPlatformFiles.privateKey(in: directory))
    }

    /// A token for `challenge`, bound to the process RAK and signed by the platform key.
    public func token(challenge: [UInt8]) throws(AttestationError) -> [UInt8] {
        try SimulatedPlatform.token(
            platformKey: platformKey, realmKey: realmKey, rim: measurement, challenge: challenge, format: format)
    }
}
