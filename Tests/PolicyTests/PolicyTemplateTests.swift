import Attestation
import ByteKit
import Foundation
import OpenSSLKit
import Policy
import Testing

@Suite struct PolicyTemplateTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("policy-templates")
    let key = ECPrivateKey(generating: .p384)
    let measurements: [String: [UInt8]] = [
        "runtime": [UInt8](repeating: 1, count: 32), "provider": [UInt8](repeating: 2, count: 32), "device": [UInt8](repeating: 3, count: 48),
    ]

    func template(_ name: String) throws -> PolicyTemplate {
        try PolicyTemplate(text: String(contentsOf: Self.templates.appendingPathComponent(name), encoding: .utf8))
    }

    @Test(arguments: ["ml.json", "fl.json"])
    func fillsEveryShippedTemplate(name: String) throws {
        let template = try template(name)
        #expect(Set(template.measuredRoles) == ["runtime", "provider", "device"])
        let json = try template.fill(measurements: measurements, platformKey: key.publicKey)
        let policy = try PolicyDocument(json: json)
        for (role, measurement) in measurements {
            #expect(policy.roles[role]?.initialMeasurements == [HexBytes(measurement)])
        }
        #expect(policy.platforms.first?.instanceID.bytes == PlatformClaims.instanceID(for: key.publicKey))
        // The PEM's newlines survive as JSON escapes and come back whole.
        #expect(try ECPublicKey(pem: #require(policy.platforms.first?.publicKey)) == key.publicKey)
        #expect(try policy.trustAnchors().first?.key == key.publicKey)
        #expect((policy.federated != nil) == (name == "fl.json"))
    }

    @Test func severalPlatformKeysAreEachTrustedLikeTheFirst() throws {
        let second = ECPrivateKey(generating: .p384)
        let json = try template("fl.json").fill(measurements: measurements, platformKeys: [key.publicKey, second.publicKey])
        let policy = try PolicyDocument(json: json)
        #expect(policy.platforms.map(\.instanceID.bytes) == [key, second].map { PlatformClaims.instanceID(for: $0.publicKey) })
        #expect(policy.platforms.map(\.description) == Array(repeating: policy.platforms[0].description, count: 2))
        #expect(try policy.trustAnchors().map(\.key) == [key.publicKey, second.publicKey])
        #expect(throws: PolicyError("no platform key was given")) {
            try template("fl.json").fill(measurements: measurements, platformKeys: [])
        }
    }

    @Test func anUnfilledMeasurementIsNamed() throws {
        var partial = measurements
        partial["provider"] = nil
        let error = #expect(throws: PolicyError.self) { try template("ml.json").fill(measurements: partial, platformKey: key.publicKey) }
        #expect(error?.description == "line 11: ${measurement:provider} is not filled: no measurement was given for that role")
    }

    @Test func anUnknownPlaceholderIsNamed() throws {
        let template = try PolicyTemplate(text: "{\n\"name\": \"${platform:colour}\"\n}")
        let error = #expect(throws: PolicyError.self) { try template.fill(measurements: [:], platformKey: key.publicKey) }
        #expect(
            error?.description
                == "line 2: unknown placeholder ${platform:colour} (known: ${measurement:ROLE}, ${platform:instance-id}, ${platform:public-key})")
    }

    @Test func anUnterminatedPlaceholderAndAStrayRoleAreErrors() throws {
        #expect(throws: PolicyError("line 3: a placeholder starts with \"${\" and never ends with \"}\"")) {
            try PolicyTemplate(text: "{\n\n\"a\": \"${measurement:runtime\"\n")
        }
        var extra = measurements
        extra["certifier"] = [UInt8](repeating: 9, count: 32)
        let error = #expect(throws: PolicyError.self) { try template("ml.json").fill(measurements: extra, platformKey: key.publicKey) }
        #expect(error?.description == "a measurement was given for role \"certifier\", which the template does not name (it names: runtime, provider, device)")
    }

    @Test func aFilledTemplateThatIsNoPolicyIsRefused() throws {
        let template = try PolicyTemplate(text: "{\"format\": \"cml-policy\", \"version\": 1, \"roles\": {\"runtime\": {\"initial-measurements\": [\"${measurement:runtime}\"]}}}")
        let error = #expect(throws: PolicyError.self) {
            try template.fill(measurements: ["runtime": [UInt8](repeating: 1, count: 32)], platformKey: key.publicKey)
        }
        #expect(error?.description == "platforms: the filled template is not a valid policy: is missing")
    }
}
