import Attestation
import ByteKit
import Foundation
public import OpenSSLKit

/// A policy template (policy-templates/*.json): a policy whose measurements and platform key are
/// placeholders, `${measurement:ROLE}`, `${platform:instance-id}` and `${platform:public-key}`, each
/// inside a JSON string.
public struct PolicyTemplate: Sendable {
    /// One `${kind:argument}` in the template.
    public struct Placeholder: Sendable, Hashable, CustomStringConvertible {
        /// The text between `${` and `}`, e.g. "measurement:runtime".
        public let name: String
        /// The line it is on, from 1.
        public let line: Int

        /// `${name}`.
        public var description: String { "${\(name)}" }
    }

    /// The placeholders this program knows, for messages.
    public static let knownPlaceholders = "${measurement:ROLE}, ${platform:instance-id}, ${platform:public-key}"

    /// The template text.
    public let text: String
    /// Every placeholder, in order.
    public let placeholders: [Placeholder]

    /// Reads a template; an unterminated `${` is an error naming its line.
    public init(text: String) throws(PolicyError) {
        self.text = text
        var found: [Placeholder] = []
        var line = 1
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            line += rest[..<start.lowerBound].filter { $0 == "\n" }.count
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw PolicyError("line \(line): a placeholder starts with \"${\" and never ends with \"}\"")
            }
            found.append(Placeholder(name: String(rest[start.upperBound..<end]), line: line))
            rest = rest[rest.index(after: end)...]
        }
        placeholders = found
    }

    /// The roles whose measurement the template asks for.
    public var measuredRoles: [String] {
        var roles: [String] = []
        for placeholder in placeholders where placeholder.name.hasPrefix("measurement:") {
            let role = String(placeholder.name.dropFirst("measurement:".count))
            if !roles.contains(role) { roles.append(role) }
        }
        return roles
    }

    /// The policy JSON with every placeholder filled: measurements by role, and the platform key's
    /// instance ID and PEM. The result is checked as a policy before it is returned.
    ///
    /// Errors: an unknown placeholder, one left unfilled, a measurement for a role the template does
    /// not name; each names the placeholder and its line.
    public func fill(measurements: [String: [UInt8]], platformKey: ECPublicKey) throws(PolicyError) -> [UInt8] {
        try fill(measurements: measurements, platformKeys: [platformKey])
    }

    /// The policy JSON filled as `fill(measurements:platformKey:)` does with the first of `platformKeys`;
    /// each further key is trusted too, by a copy of the platform entry the first key filled (same
    /// description), and the result is the policy's canonical JSON. At least one key is required.
    public func fill(measurements: [String: [UInt8]], platformKeys: [ECPublicKey]) throws(PolicyError) -> [UInt8] {
        guard let first = platformKeys.first else { throw PolicyError("no platform key was given") }
        let json = try fill(measurements: measurements, firstPlatformKey: first)
        guard platformKeys.count > 1 else { return json }
        var document = try PolicyDocument(json: json)
        let firstInstance = PlatformClaims.instanceID(for: first)
        guard let template = document.platforms.first(where: { $0.instanceID.bytes == firstInstance }) else {
            throw PolicyError(
                path: "platforms", "has no entry filled from ${platform:instance-id}, so the template cannot trust \(platformKeys.count) platform keys")
        }
        for key in platformKeys.dropFirst() {
            var entry = template
            entry.instanceID = HexBytes(PlatformClaims.instanceID(for: key))
            entry.publicKey = key.pem
            document.platforms.append(entry)
        }
        try document.validate()
        return document.jsonBytes()
    }

    /// The policy JSON filled as `fill(measurements:platformKeys:)` does with the first measurement of
    /// each role, the role's `initial-measurements` then listing every further one too: during a rolling
    /// upgrade the policy admits the new binary of a role before the old one is retired. A role given
    /// no measurement, or the same one twice, is refused.
    public func fill(measurementLists: [String: [[UInt8]]], platformKeys: [ECPublicKey]) throws(PolicyError) -> [UInt8] {
        var firsts: [String: [UInt8]] = [:]
        for (role, list) in measurementLists {
            guard let first = list.first else { throw PolicyError("no measurement was given for role \"\(role)\"") }
            guard Set(list.map(Hex.encode)).count == list.count else {
                throw PolicyError("role \"\(role)\" is given the same measurement twice (two identical binaries?)")
            }
            firsts[role] = first
        }
        let json = try fill(measurements: firsts, platformKeys: platformKeys)
        guard measurementLists.values.contains(where: { $0.count > 1 }) else { return json }
        var document = try PolicyDocument(json: json)
        for (role, list) in measurementLists where list.count > 1 {
            guard var rolePolicy = document.roles[role] else {
                throw PolicyError(path: "roles", "has no role \"\(role)\" to list \(list.count) measurements in")
            }
            let filled = HexBytes(list[0])
            guard rolePolicy.initialMeasurements.contains(filled) else {
                throw PolicyError(
                    path: "roles.\(role).initial-measurements",
                    "does not hold ${measurement:\(role)}, so the template cannot list \(list.count) measurements for \(role)")
            }
            for measurement in list.dropFirst() { rolePolicy.initialMeasurements.append(HexBytes(measurement)) }
            document.roles[role] = rolePolicy
        }
        try document.validate()
        return document.jsonBytes()
    }

    private func fill(measurements: [String: [UInt8]], firstPlatformKey platformKey: ECPublicKey) throws(PolicyError) -> [UInt8] {
        for role in measurements.keys.sorted() where !measuredRoles.contains(role) {
            let named = measuredRoles.isEmpty ? "none" : measuredRoles.joined(separator: ", ")
            throw PolicyError("a measurement was given for role \"\(role)\", which the template does not name (it names: \(named))")
        }
        var values: [String: String] = [
            "platform:instance-id": Hex.encode(PlatformClaims.instanceID(for: platformKey)),
            "platform:public-key": platformKey.pem,
        ]
        for (role, measurement) in measurements { values["measurement:\(role)"] = Hex.encode(measurement) }

        var output = ""
        var rest = Substring(text)
        for placeholder in placeholders {
            guard let value = values[placeholder.name] else {
                let kind = placeholder.name.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                if kind == "measurement" {
                    throw PolicyError("line \(placeholder.line): \(placeholder) is not filled: no measurement was given for that role")
                }
                throw PolicyError("line \(placeholder.line): unknown placeholder \(placeholder) (known: \(Self.knownPlaceholders))")
            }
            // init(text:) found exactly these placeholders in this order, so each range exists.
            guard let range = rest.range(of: "\(placeholder)") else { break }
            output += rest[..<range.lowerBound]
            output += Self.jsonEscaped(value)
            rest = rest[range.upperBound...]
        }
        output += rest
        let json = Array(output.utf8)
        do {
            _ = try PolicyDocument(json: json)
        } catch {
            throw PolicyError(path: error.path, "the filled template is not a valid policy: \(error.reason)", cause: error)
        }
        return json
    }

    /// `value` as the inside of a JSON string: a PEM's newlines become `\n`.
    static func jsonEscaped(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // A string always encodes; the result is quoted, and the quotes go.
        let quoted = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        return String(quoted.dropFirst().dropLast())
    }
}
