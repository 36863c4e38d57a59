import Attestation
import ByteKit
import CBORKit

/// Tokens and verdicts as text a person reads without knowing CBOR (the style of UX.md).
enum TokenText {
    /// Every claim by name, after the outer form, the algorithms and the RAK encoding.
    static func describe(_ token: CCAToken) -> String {
        var lines = [headline(token.format)]
        let platform = token.platformClaims
        lines.append(part("platform token", token.platform.algorithm, "profile \(shown(platform.profile))"))
        lines.append(field("challenge", abbreviated(platform.challenge, counted: true)))
        lines.append(field("implementation id", abbreviated(platform.implementationID)))
        lines.append(field("instance id", abbreviated(platform.instanceID)))
        lines.append(field("lifecycle", "0x\(String(platform.lifecycle, radix: 16)) (\(platform.lifecycleState))"))
        lines.append(field("config", platform.config.isEmpty ? "(empty)" : abbreviated(platform.config, counted: platform.config.count > 16)))
        lines.append(field("hash algorithm", shown(platform.hashAlgorithm)))
        if let service = platform.verificationService { lines.append(field("verification service", shown(service))) }
        lines.append(field("software components", String(platform.softwareComponents.count)))
        let width = max(12, platform.softwareComponents.map { shown($0.type ?? "-").count }.max() ?? 0)
        for component in platform.softwareComponents {
            var line = "    " + shown(component.type ?? "-").padding(toLength: width, withPad: " ", startingAt: 0)
            line += "  measurement \(Hex.short(component.measurement))  signer \(Hex.short(component.signerID, count: 5))"
            if let algorithm = component.hashAlgorithm { line += "  \(shown(algorithm))" }
            if let version = component.version { line += "  version \(shown(version))" }
            lines.append(line)
        }
        if let realmToken = token.realm, let realm = token.realmClaims {
            lines.append(part("realm token", realmToken.algorithm, "profile " + (realm.profile?.rawValue ?? "none (legacy format)")))
            lines.append(field("challenge", abbreviated(realm.challenge, counted: true)))
            lines.append(field("personalization", abbreviated(realm.personalizationValue, counted: true)))
            lines.append(field("initial measurement", "\(abbreviated(realm.initialMeasurement)) (\(shown(realm.hashAlgorithm)))"))
            for (index, measurement) in realm.extensibleMeasurements.enumerated() {
                lines.append(field("extensible meas. \(index)", abbreviated(measurement)))
            }
            lines.append(field("hash algorithm", shown(realm.hashAlgorithm)))
            let rak = realm.publicKey
            lines.append(field("public key (RAK)", "\(rak.encoding), \(rak.key.curve), \(rak.claimBytes.count) bytes"))
            lines.append(field("public key hash", shown(realm.publicKeyHashAlgorithm)))
            if let policy = realm.mecPolicy { lines.append(field("MEC policy", shown(policy.description))) }
            if let instanceID = realm.instanceID { lines.append(field("instance id", abbreviated(instanceID))) }
        }
        return lines.joined(separator: "\n")
    }

    /// "verified" and a summary, or "rejected: step: reason".
    static func verdict(_ result: VerificationVerdict) -> String {
        let verified: VerifiedToken
        switch result {
        case .verified(let token): verified = token
        case .rejected(let failure, _, _): return "rejected: \(failure)"
        }
        let token = verified.token
        var lines = ["verified", field("format", headline(token.format))]
        let anchor = verified.trustAnchor
        let platformKey = " with \(anchor.key.curve) key \(Hex.short(anchor.key.rawPoint, count: 5))"
        lines.append(field("platform token", "\(token.platform.algorithm), instance \(Hex.short(token.platformClaims.instanceID, count: 8))\(platformKey)"))
        if let realmToken = token.realm, let realm = token.realmClaims {
            let profile = realm.profile?.rawValue ?? "no realm profile"
            lines.append(field("realm token", "\(realmToken.algorithm), \(profile), RAK \(realm.publicKey.encoding) bound by \(shown(realm.publicKeyHashAlgorithm))"))
            lines.append(field("initial measurement", "\(Hex.encode(realm.initialMeasurement)) (\(shown(realm.hashAlgorithm)))"))
        }
        lines.append(field("passed", verified.passed.map(\.rawValue).joined(separator: ", ")))
        if !verified.skipped.isEmpty {
            let why = token.realm == nil ? "a bare platform token has no realm token" : "no --nonce or --challenge given"
            lines.append(field("not checked", verified.skipped.map(\.rawValue).joined(separator: ", ") + " (\(why))"))
        }
        return lines.joined(separator: "\n")
    }

    static func headline(_ format: CCATokenFormat) -> String {
        switch format {
        case .tag399: "CCA attestation token, tag 399"
        case .tag907: "CCA attestation token, tag 907 (CMW collection)"
        case .platformOnly: "CCA platform token alone (COSE_Sign1, tag 18)"
        }
    }

    /// A text claim as it is, or quoted with its control characters escaped: the token is untrusted
    /// input, and must not move the cursor or recolour the terminal.
    private static func shown(_ text: String) -> String {
        CBORValue.printable(text)
    }

    private static func part(_ name: String, _ algorithm: COSEAlgorithm, _ detail: String) -> String {
        name.padding(toLength: 17, withPad: " ", startingAt: 0) + algorithm.name + "   " + detail
    }

    private static func field(_ name: String, _ value: String) -> String {
        "  " + name.padding(toLength: 21, withPad: " ", startingAt: 0) + value
    }

    /// Up to 16 bytes in full; longer ones as their first 8 and last 4 bytes.
    private static func abbreviated(_ bytes: [UInt8], counted: Bool = false) -> String {
        let text = bytes.count <= 16 ? Hex.encode(bytes) : Hex.encode(bytes.prefix(8)) + "..." + Hex.encode(bytes.suffix(4))
        return counted ? "\(text) (\(bytes.count) bytes)" : text
    }
}
