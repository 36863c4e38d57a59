import ArgumentParser
import ByteKit
import Certifier
import CommandSupport
import Foundation
import Policy

/// `cml-certifier provision --state DIR --policy FILE --out KITS [--host ROLE=HOST:PORT ...]`.
struct Provision: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes one kit folder per host (certifier, runtime, provider, device) with exactly what that host needs.",
        discussion: """
            Each of KITS/certifier, KITS/runtime, KITS/provider and KITS/device receives the policy certificate \
            (policy.crt), cml.env (the addresses: CML_CERTIFIER, CML_RUNTIME, and that host's paths), a systemd unit \
            for its long-running command (cml-certifier.service, cml-runtime.service) and a README.md with that \
            host's commands in order. The certifier's kit also holds the signed policy it serves; its state stays \
            in DIR on this host (with the issuing key, which signs admissions), and no kit holds the policy key. With the sim attester each role's kit holds a copy \
            of a simulated platform folder and SIMULATION-ONLY.txt: whoever holds that folder can forge tokens. \
            A kit folder that exists is an error, and nothing is written, unless --force is given. See \
            docs/operations.md.
            """)

    @Option(help: ArgumentHelp("The certifier's state directory, made by `cml-certifier init`; it stays on this host.", valueName: "DIR"))
    var state: String

    @Option(help: ArgumentHelp("The signed policy the certifier serves (from `cml-policy sign`).", valueName: "FILE"))
    var policy: String

    @Option(help: ArgumentHelp("The folder to write the kits in.", valueName: "KITS"))
    var out: String

    @Option(name: .customLong("host"), help: ArgumentHelp(
        "Where a server listens and is reached: certifier=HOST:PORT (default 127.0.0.1:8123) or runtime=HOST:PORT (default 127.0.0.1:8124); repeatable.",
        valueName: "ROLE=HOST:PORT"))
    var hosts: [String] = []

    @Option(help: ArgumentHelp("How the roles attest: sim (simulated platform, copied into their kits) or tsm (real Arm CCA hosts).", valueName: "sim|tsm"))
    var attester: KitAttester = .sim

    @Option(help: "What the runtime serves: ml or fl.")
    var mode: KitMode = .ml

    @Option(name: .customLong("install-dir"), help: ArgumentHelp("Where each kit folder is copied on its host (the units' working directory).", valueName: "DIR"))
    var installDir = "/opt/cml"

    @Option(name: .customLong("bin-dir"), help: ArgumentHelp("Where the cml-* executables are on the hosts.", valueName: "DIR"))
    var binDir = "/usr/local/bin"

    @Flag(help: "Replace kit folders that exist.")
    var force = false

    /// The role folders, in the order the hosts start.
    static let roles = ["certifier", "runtime", "provider", "device"]

    func validate() throws {
        _ = try addresses()
        guard installDir.hasPrefix("/"), binDir.hasPrefix("/") else {
            throw ValidationError("--install-dir and --bin-dir must be absolute paths (systemd needs them), got \(installDir) and \(binDir)")
        }
    }

    func run() throws {
        let loaded: CertifierState
        do {
            loaded = try CertifierState.load(directory: state)
        } catch {
            throw CommandFailure(error.message)
        }
        let policyBytes: [UInt8]
        do {
            policyBytes = try FileBytes.read(policy, limit: SignedPolicy.maximumFileSize)
        } catch {
            throw CommandFailure("policy \(error)")
        }
        let existing = Self.roles.map { "\(out)/\($0)" }.filter { FileBytes.exists($0) }
        if !existing.isEmpty && !force {
            throw CommandFailure(
                "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing was written (give --force to replace the kits)")
        }
        let kits = try makeKits(state: loaded, policyBytes: policyBytes)
        do {
            try FileBytes.makeDirectory(out, mode: 0o755)
            for kit in kits {
                let folder = "\(out)/\(kit.role)"
                if FileBytes.exists(folder) { try FileManager.default.removeItem(atPath: folder) }
                try kit.write(to: folder)
                StandardOutput.line("\(kit.role): \(folder) (\((kit.files.map(\.name) + (kit.platform == nil ? [] : [HostKit.platformFolder + "/", HostKit.simulationNote])).joined(separator: ", ")))")
            }
        } catch let error as FileError {
            throw CommandFailure("cannot write the kits in \(out): \(error)")
        }
    }

    /// The certifier's and the runtime's addresses, from `--host` over the defaults.
    private func addresses() throws(ValidationError) -> (certifier: HostPort, runtime: HostPort) {
        var certifier = HostPort(host: "127.0.0.1", port: 8123), runtime = HostPort(host: "127.0.0.1", port: 8124)
        for text in hosts {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let address = HostPort(argument: parts[1]) else {
                throw ValidationError("--host \(text): give ROLE=HOST:PORT, e.g. runtime=10.0.0.2:8124")
            }
            switch parts[0] {
            case "certifier": certifier = address
            case "runtime": runtime = address
            default: throw ValidationError("--host \(text): only the certifier and the runtime listen; give certifier=HOST:PORT or runtime=HOST:PORT")
            }
        }
        return (certifier, runtime)
    }

    private func makeKits(state: CertifierState, policyBytes: [UInt8]) throws -> [HostKit] {
        let (certifier, runtime) = try addresses()
        let policyCertificate = state.policyCertificate.pem
        let absoluteState = URL(fileURLWithPath: state.directory).standardizedFileURL.path
        let addresses = [("CML_CERTIFIER", certifier.description), ("CML_RUNTIME", runtime.description)]
        var kits: [HostKit] = []
        for role in Self.roles {
            var kit = HostKit(role: role)
            kit.add("policy.crt", text: policyCertificate)
            var environment = addresses
            switch role {
            case "certifier":
                kit.files.append(("policy.signed", policyBytes))
                environment += [("CML_LISTEN", certifier.description), ("CML_STATE", absoluteState), ("CML_POLICY", "policy.signed")]
                kit.add("cml-certifier.service", text: HostKit.unit(
                    description: "ConfidentialML certifier", installed: installDir,
                    command: "\(binDir)/cml-certifier serve --state ${CML_STATE} --policy ${CML_POLICY} --listen ${CML_LISTEN}",
                    reload: true))
            case "runtime":
                environment += [("CML_LISTEN", runtime.description), ("CML_STATE", "state"), ("CML_MODE", mode.rawValue)]
                kit.add("cml-runtime.service", text: HostKit.unit(
                    description: "ConfidentialML runtime", installed: installDir,
                    command: "\(binDir)/cml-runtime serve --state ${CML_STATE} --listen ${CML_LISTEN} --mode ${CML_MODE} --certifier ${CML_CERTIFIER} "
                        + "--policy-cert policy.crt \(attester == .sim ? "--attester sim --platform \(HostKit.platformFolder)" : "--attester tsm")",
                    reload: false))
            default:
                environment += [("CML_STATE", "state")]
            }
            kit.files.insert((HostKit.environmentFile, Array(HostKit.environment(role, environment).utf8)), at: 1)
            if attester == .sim && role != "certifier" {
                kit.platform = state.platformDirectory(Self.platformNumber(for: role, available: state))
            }
            kit.add("README.md", text: KitReadme.text(role: role, attester: attester, ports: (certifier.port, runtime.port), installDir: installDir, binDir: binDir))
            kits.append(kit)
        }
        return kits
    }

    /// Each role on a platform of its own when `init --platforms` made enough (separate hosts are
    /// separate machines), else on platform 1.
    private static func platformNumber(for role: String, available state: CertifierState) -> Int {
        let wanted = ["runtime": 1, "provider": 2, "device": 3][role] ?? 1
        return FileBytes.exists(state.platformDirectory(wanted)) ? wanted : 1
    }
}

/// The `provision --attester` choices.
enum KitAttester: String, ExpressibleByArgument, CaseIterable {
    case sim, tsm
}

/// The `provision --mode` choices.
enum KitMode: String, ExpressibleByArgument, CaseIterable {
    case ml, fl
}
