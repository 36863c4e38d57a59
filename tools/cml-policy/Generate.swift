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
            Given one role several times (--measure runtime=OLD --measure runtime=NEW), the role's \
            initial-measurements list each: a rolling upgrade admits the new binary before the old one is retired. \
            The result is checked as a policy before it is written.
            """)

    @Option(help: ArgumentHelp("The template, e.g. policy-templates/ml.json.", valueName: "T"))
    var template: String

    @Option(name: .customLong("measure"), help: ArgumentHelp("A role and its binary; repeatable, also for one role (each binary is admitted).", valueName: "ROLE=PATH"))
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
        // A role may be given several times (a rolling upgrade lists old and new binaries), but not both
        // measured here and given as a realm initial measurement.
        var kinds: [String: String] = [:]
        for (option, value) in measures.map({ ("--measure", $0) }) + rims.map({ ("--rim", $0) }) {
            guard let (role, argument) = Self.split(value) else {
                throw ValidationError("\(option) \"\(value)\" is not ROLE=\(option == "--rim" ? "HEX" : "PATH")")
            }
            if let earlier = kinds.updateValue(option, forKey: role), earlier != option {
                throw ValidationError("role \"\(role)\" is given with both --measure and --rim; give one kind per role")
            }
            if option == "--rim", Hex.decode(argument).map({ [32, 48, 64].contains($0.count) }) != true {
                throw ValidationError("--rim \(role)=...: expected 32, 48 or 64 bytes of hex")
            }
        }
    }

    func run() throws {
        var measurements: [String: [[UInt8]]] = [:]
        var notes: [String] = []
        for value in measures {
            guard let (role, path) = Self.split(value) else { continue }
            let measurement: [UInt8]
            do {
                measurement = try ExecutableMeasurement.of(file: path)
            } catch {
                throw CommandFailure("--measure \(role)=\(path): \(error.message); nothing written")
            }
            measurements[role, default: []].append(measurement)
            notes.append("\(role) \(Hex.short(measurement)) (\(path))")
        }
        for value in rims {
            guard let (role, hex) = Self.split(value), let bytes = Hex.decode(hex) else { continue }
            measurements[role, default: []].append(bytes)
            notes.append("\(role) \(Hex.short(bytes)) (--rim)")
        }
        let keys = try platformKeys.map { try PolicyFiles.publicKey($0) }
        let text = String(decoding: try PolicyFiles.read(template, "template"), as: UTF8.self)
        let json: [UInt8]
        do {
            json = try PolicyTemplate(text: text).fill(measurementLists: measurements, platformKeys: keys)
        } catch {
            var message = "template \(template): \(error)"
            if error.reason.contains("no measurement was given") { message += " (give --measure ROLE=PATH or --rim ROLE=HEX)" }
            throw CommandFailure(message)
        }
        try PolicyFiles.write(json, to: out)
        let policy = try PolicyDocument(json: json)
        StandardError.line("measured \(notes.sorted().joined(separator: ", "))")
        print("wrote \(out) (\(policy.displayName): \(PolicyFiles.summary(policy)); \(keys.count == 1 ? "platform" : "platforms") \(keys.map { Hex.short(PlatformClaims.instanceID(for: $0)) }.joined(separator: ", ")))")
    }

    private static func split(_ value: String) -> (String, String)? {
        guard let equals = value.firstIndex(of: "="), equals != value.startIndex else { return nil }
        let rest = value[value.index(after: equals)...]
        return rest.isEmpty ? nil : (String(value[..<equals]), String(rest))
    }
}
