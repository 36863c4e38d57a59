import Attestation
import ByteKit

/// Tokens and verdicts as JSON, with Veraison's claim names and byte strings in lowercase hex.
enum TokenJSON {
    /// `format`, the algorithms, the RAK encoding, then the claims under `platform` and `realm`.
    static func token(_ token: CCAToken) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("format", .string(token.format.rawValue)), ("platform-alg", .string(token.platform.algorithm.name)),
        ]
        if let realm = token.realm, let claims = token.realmClaims {
            members.append(("realm-alg", .string(realm.algorithm.name)))
            members.append(("realm-public-key-encoding", .string(claims.publicKey.encoding.rawValue)))
        }
        members.append(("platform", platform(token.platformClaims)))
        if let claims = token.realmClaims { members.append(("realm", realm(claims))) }
        return members
    }

    /// The verdict, then the token's members when it decoded.
    static func verdict(_ result: VerificationVerdict) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("verified", .bool(result.isVerified)),
            ("passed", .array(result.passed.map { .string($0.rawValue) })),
            ("skipped", .array(result.skipped.map { .string($0.rawValue) })),
        ]
        if let failure = result.failure {
            members.append(("failure", .object([("step", .string(failure.step.rawValue)), ("reason", .string(failure.reason))])))
        }
        if let token = result.decodedToken { members += Self.token(token) }
        return .object(members)
    }

    static func platform(_ claims: PlatformClaims) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("cca-platform-profile", .string(claims.profile)),
            ("cca-platform-challenge", hex(claims.challenge)),
            ("cca-platform-implementation-id", hex(claims.implementationID)),
            ("cca-platform-instance-id", hex(claims.instanceID)),
            ("cca-platform-config", hex(claims.config)),
            ("cca-platform-lifecycle", .number(Int(claims.lifecycle))),
            ("cca-platform-sw-components", .array(claims.softwareComponents.map(component))),
        ]
        if let service = claims.verificationService { members.append(("cca-platform-service-indicator", .string(service))) }
        members.append(("cca-platform-hash-algo-id", .string(claims.hashAlgorithm)))
        return .object(members)
    }

    static func component(_ component: SoftwareComponent) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let type = component.type { members.append(("measurement-type", .string(type))) }
        members.append(("measurement-value", hex(component.measurement)))
        if let version = component.version { members.append(("version", .string(version))) }
        members.append(("signer-id", hex(component.signerID)))
        if let algorithm = component.hashAlgorithm { members.append(("hash-algo-id", .string(algorithm))) }
        return .object(members)
    }

    static func realm(_ claims: RealmClaims) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let profile = claims.profile { members.append(("cca-realm-profile", .string(profile.rawValue))) }
        members += [
            ("cca-realm-challenge", hex(claims.challenge)),
            ("cca-realm-personalization-value", hex(claims.personalizationValue)),
            ("cca-realm-initial-measurement", hex(claims.initialMeasurement)),
            ("cca-realm-extensible-measurements", .array(claims.extensibleMeasurements.map(hex))),
            ("cca-realm-hash-algo-id", .string(claims.hashAlgorithm)),
            ("cca-realm-public-key", hex(claims.publicKey.claimBytes)),
            ("cca-realm-public-key-hash-algo-id", .string(claims.publicKeyHashAlgorithm)),
        ]
        switch claims.mecPolicy {
        case .named(let name)?: members.append(("cca-realm-mec-policy", .string(name)))
        case .number(let number)?: members.append(("cca-realm-mec-policy", .number(Int(clamping: number))))
        case nil: break
        }
        if let instanceID = claims.instanceID { members.append(("cca-realm-instance-id", hex(instanceID))) }
        return .object(members)
    }

    private static func hex(_ bytes: [UInt8]) -> JSONValue {
        .string(Hex.encode(bytes))
    }
}
