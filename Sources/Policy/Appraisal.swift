public import Attestation
import ByteKit

/// The policy's verdict on a verified token: admitted, or refused with every reason, in words.
public struct AppraisalVerdict: Sendable, Equatable {
    /// The role the program claimed.
    public let role: Role
    /// The realm initial measurement the token reports (empty for a token without a realm part).
    public let measurement: [UInt8]
    /// Why the policy does not admit it; empty when it does.
    public let reasons: [String]

    /// Whether the policy admits the program in `role`.
    public var isAdmitted: Bool { reasons.isEmpty }
}

/// Appraises verified CCA token claims against a policy, as a verifier policy that lists every reason
/// a token fails (not just the first), so that one refusal tells the operator all that must change.
///
/// It takes only a token that passed `CCAVerifier` (signatures, binding, freshness); this checks what
/// the policy says about the claims: the role, its measurements and personalization value, and the
/// platform reference values the policy names.
public enum Appraisal {
    /// The verdict on `token` claiming `role` under `policy`.
    public static func appraise(_ token: VerifiedToken, role: Role, policy: PolicyDocument) -> AppraisalVerdict {
        var reasons: [String] = []
        guard let realm = token.realmClaims else {
            return AppraisalVerdict(role: role, measurement: [], reasons: ["the token has no realm token, so it measures no program"])
        }
        let measurement = realm.initialMeasurement
        if let rolePolicy = policy.rolePolicy(role) {
            reasons += realmProblems(realm, role: role, rolePolicy: rolePolicy, policy: policy)
        } else {
            let roles = policy.roles.keys.sorted().joined(separator: ", ")
            reasons.append("role \"\(role)\" is not in \(policy.displayName) (roles: \(roles))\(acceptedElsewhere(measurement, policy: policy, except: role))")
        }
        if let reference = policy.platformReference {
            reasons += platformProblems(token.platformClaims, reference: reference)
        }
        return AppraisalVerdict(role: role, measurement: measurement, reasons: reasons)
    }

    private static func realmProblems(_ realm: RealmClaims, role: Role, rolePolicy: RolePolicy, policy: PolicyDocument) -> [String] {
        var reasons: [String] = []
        let measurement = realm.initialMeasurement
        if !rolePolicy.initialMeasurements.contains(where: { $0.bytes == measurement }) {
            let accepted = rolePolicy.initialMeasurements.map { Hex.short($0.bytes) }.joined(separator: ", ")
            reasons.append(
                "measurement \(Hex.short(measurement)) is not an accepted \(role) measurement in \(policy.displayName) "
                    + "(accepted: \(accepted))\(acceptedElsewhere(measurement, policy: policy, except: role))")
        }
        if let sets = rolePolicy.extensibleMeasurements,
            !sets.contains(where: { $0.map(\.bytes) == realm.extensibleMeasurements })
        {
            let shown = realm.extensibleMeasurements.map { Hex.short($0) }.joined(separator: ", ")
            reasons.append(
                "extensible measurements [\(shown)] are not an accepted set for \(role) (the policy accepts \(quantity(sets.count, "set")))")
        }
        if let required = rolePolicy.personalizationValue, required.bytes != realm.personalizationValue {
            reasons.append(
                "personalization value \(Hex.short(realm.personalizationValue)) is not the \(role) value the policy requires (\(Hex.short(required.bytes)))")
        }
        return reasons
    }

    /// ", though it is accepted for device" when the measurement belongs to another role.
    private static func acceptedElsewhere(_ measurement: [UInt8], policy: PolicyDocument, except role: Role) -> String {
        let others = policy.roles.filter { $0.key != role.rawValue && $0.value.initialMeasurements.contains { $0.bytes == measurement } }
            .keys.sorted()
        return others.isEmpty ? "" : "; it is accepted for \(others.joined(separator: ", "))"
    }

    private static func platformProblems(_ platform: PlatformClaims, reference: PlatformReference) -> [String] {
        var reasons: [String] = []
        if let ranges = reference.lifecycles, !ranges.contains(where: { $0.contains(Int(platform.lifecycle)) }) {
            let accepted = ranges.map { "0x\(hex4($0.min))-0x\(hex4($0.max))" }.joined(separator: ", ")
            reasons.append(
                "platform lifecycle 0x\(hex4(Int(platform.lifecycle))) (\(platform.lifecycleState)) is not an accepted state (accepted: \(accepted))")
        }
        for component in reference.softwareComponents ?? [] where !platform.softwareComponents.contains(where: { matches($0, component) }) {
            let name = component.type.map { "\"\($0)\" " } ?? ""
            let detail = [
                component.signerID.map { "signer \(Hex.short($0.bytes))" }, component.version.map { "version \($0)" },
            ].compactMap { $0 }.joined(separator: ", ")
            reasons.append(
                "the platform reports no software component \(name)with measurement \(Hex.short(component.measurement.bytes))"
                    + (detail.isEmpty ? "" : " (\(detail))"))
        }
        if let config = reference.config, config.bytes != platform.config {
            func shown(_ bytes: [UInt8]) -> String { bytes.isEmpty ? "(empty)" : Hex.short(bytes) }
            reasons.append("platform config \(shown(platform.config)) is not the policy's \(shown(config.bytes))")
        }
        return reasons
    }

    private static func matches(_ claimed: SoftwareComponent, _ reference: SoftwareComponentReference) -> Bool {
        claimed.measurement == reference.measurement.bytes
            && (reference.type == nil || claimed.type == reference.type)
            && (reference.signerID == nil || claimed.signerID == reference.signerID?.bytes)
            && (reference.version == nil || claimed.version == reference.version)
    }

    private static func hex4(_ value: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
