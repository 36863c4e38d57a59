import ArgumentParser
import Attestation
import ByteKit
import CommandSupport
import Policy

/// `cml-policy generate --template T --measure ROLE=PATH... [--rim ROLE=HEX] --platform-key PEM... --out policy.json`.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fills a policy template with binaries' measurements and the platform key.",
        discussion: """
            Fills ${measurement:ROLE} with the measurement of the binary given by --measure ROLE=PATH, or with \
            --rim ROLE=HEX for a role that runs in a real CCA realm (its launcher computes the realm initial \
            measurement from the realm image), and ${platform:instance-id} and ${platform:public-key} from the \
            platform key. Given several --platform-key, the policy trusts each: the platform entry filled from the \
            first is repeated for the others (e.g. the platform-2/ ... folders of `cml-certifier init --platforms N`). \
            The result is checked as a policy before it is written.
            """)

    @Option(help: ArgumentHelp("The template, e.g. policy-templates/ml.json.", valueName: "T"))
    var template: String

    @Option(name: .customLong("measure"), help: ArgumentHelp("A role and its binary; repeatable.", valueName: "ROLE=PATH"))
    var measures: [String] = []

    @Option(name: .customLong("rim"), help: ArgumentHelp("A role and its realm initial measurement; repeatable.", valueName: "ROLE=HEX"))
    var rims: [String] = []

    @Option(
        name: .customLong("platform-key"),
        help: ArgumentHelp("A platform public key (e.g. the certifier's platform/platform.pem); repeatable, at least one.", valueName: "PEM"))
    var platformKeys: [String] = []

    @Option(help: ArgumentHelp("Where to write the policy JSON.", valueName: "FILE"))
    var out: String

    func validate() throws {
        guard !platformKeys.isEmpty else { throw ValidationError("give the platform's public key with --platform-key PEM") }
        var seen: Set<String> = []
        for (option, value) in measures.map({ ("--measure", $0) }) + rims.map({ ("--rim", $0) }) {
            guard let (role, argument) = Self.split(value) else {
                throw ValidationError("\(option) \"\(value)\" is not ROLE=\(option == "--rim" ? "HEX" : "PATH")")
            }
            guard seen.insert(role).inserted else { throw ValidationError("role \"\(role)\" is given more than once") }
            if option == "--rim", Hex.decode(argument).map({ [32, 48, 64].contains($0.count) }) != true {
                throw ValidationError("--rim \(role)=...: expected 32, 48 or 64 bytes of hex")
            }
        }
    }

    func run() throws {
        var measurements: [String: [UInt8]] = [:]
        var notes: [String] = []
        for value in measures {
            guard let (role, path) = Self.split(value) else { continue }
            do {
                measurements[role] = try ExecutableMeasurement.of(file: path)
            } catch {
                throw CommandFailure(error.message)
            }
            notes.append("\(role) \(Hex.short(measurements[role] ?? [])) (\(path))")
        }
        for value in rims {
            guard let (role, hex) = Self.split(value), let bytes = Hex.decode(hex) else { continue }
            measurements[role] = bytes
            notes.append("\(role) \(Hex.short(bytes)) (--rim)")
        }
        let keys = try platformKeys.map { try PolicyFiles.publicKey($0) }
        let text = String(decoding: try PolicyFiles.read(template, "template"), as: UTF8.self)
        let json: [UInt8]
        do {
            json = try PolicyTemplate(text: text).fill(measurements: measurements, platformKeys: keys)
        } catch {
            var message = "template \(template): \(error)"
            if error.reason.contains("no measurement was given") { message += " (give --measure ROLE=PATH or --rim ROLE=HEX)" }
            throw CommandFailure(message)
        }
        try PolicyFiles.write(json, to: out)
        let policy = try PolicyDocument(json: json)
        print("measured \(notes.sorted().joined(separator: ", "))")
        print("wrote \(out) (\(policy.displayName): \(PolicyFiles.summary(policy)); \(keys.count == 1 ? "platform" : "platforms") \(keys.map { Hex.short(PlatformClaims.instanceID(for: $0)) }.joined(separator: ", ")))")
    }

    private static func split(_ value: String) -> (String, String)? {
        guard let equals = value.firstIndex(of: "="), equals != value.startIndex else { return nil }
        let rest = value[value.index(after: equals)...]
        return rest.isEmpty ? nil : (String(value[..<equals]), String(rest))
    }
}
