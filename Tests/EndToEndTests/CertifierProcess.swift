import ByteKit
import Foundation
import Policy
import Synchronization
import Testing

/// A domain made with the real executables: `cml-certifier init`, then a policy generated from the
/// freshly built role binaries and signed with `cml-policy`.
struct Domain {
    let folder: String
    var state: String { "\(folder)/certifier" }
    var platform: String { "\(state)/platform" }
    /// The folder of simulated platform `number` (from 1) of `cml-certifier init --platforms N`.
    func platform(_ number: Int) -> String { number == 1 ? platform : "\(state)/platform-\(number)" }
    var policyCertificate: String { "\(state)/policy.crt" }
    var signedPolicy: String { "\(folder)/policy.signed" }
    var auditLog: String { "\(state)/audit.jsonl" }

    /// Makes the domain from `policy-templates/<name>.json`; `template` edits its text first (e.g. a
    /// shorter nonce lifetime). With `platforms` above 1 the domain has that many simulated platforms,
    /// each trusted by the policy. `extraMeasures` (`ROLE=PATH`) are measured too, beside the built
    /// binaries: a rolling upgrade's second binary of a role.
    init(name: String = "ml", platforms: Int = 1, extraMeasures: [String] = [], template edit: (String) -> String = { $0 }) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-domain-\(UUID().uuidString)").path
        try FileBytes.makeDirectory(folder)
        let initialized = try Executables.run("cml-certifier", ["init", "--state", "\(folder)/certifier", "--platforms", "\(platforms)"])
        try #require(initialized.status == 0, "\(initialized.standardError)")
        let template = "\(folder)/template.json"
        let shipped = try FileBytes.readText(Executables.repositoryRoot.appendingPathComponent("policy-templates/\(name).json").path, limit: SignedPolicy.maximumFileSize)
        try FileBytes.writeAtomically(text: edit(shipped), to: template)
        var arguments = ["generate", "--template", template, "--out", "\(folder)/policy.json"]
        for number in 1...platforms { arguments += ["--platform-key", "\(platform(number))/platform.pem"] }
        for role in ["runtime", "provider", "device"] { arguments += ["--measure", "\(role)=\(try Executables.path("cml-\(role)"))"] }
        for extra in extraMeasures { arguments += ["--measure", extra] }
        let generated = try Executables.run("cml-policy", arguments)
        try #require(generated.status == 0, "\(generated.standardError)")
        let signed = try Executables.run(
            "cml-policy", ["sign", "--key", "\(folder)/certifier/policy.key", "--in", "\(folder)/policy.json", "--out", "\(folder)/policy.signed"])
        try #require(signed.status == 0, "\(signed.standardError)")
    }

    /// Runs `cml-ROLE attest` (or another program, e.g. a modified copy) against `certifier`, into `state`
    /// (by default a new folder).
    func attest(
        _ role: String, certifier: CertifierProcess, program: String? = nil, platform: String? = nil, state: String? = nil,
        extra: [String] = []
    ) throws -> Executables.Result {
        try attest(role, port: certifier.port, program: program, platform: platform, state: state, extra: extra)
    }

    /// Runs `cml-ROLE attest` against the certifier on `port` (the runtime's keeps nothing, so it gets no
    /// state folder unless `state` names one).
    func attest(
        _ role: String, port: UInt16, program: String? = nil, platform: String? = nil, state: String? = nil, extra: [String] = []
    ) throws -> Executables.Result {
        let folder = state ?? (role == "runtime" ? nil : "\(self.folder)/\(role)-\(UUID().uuidString.prefix(8))")
        let arguments = ["attest", "--certifier", "127.0.0.1:\(port)", "--policy-cert", policyCertificate]
            + (folder.map { ["--state", $0] } ?? []) + ["--attester", "sim", "--platform", platform ?? self.platform] + extra
        return try Executables.run(program: URL(fileURLWithPath: try program ?? Executables.path("cml-\(role)")), arguments)
    }
}

/// A running `cml-certifier serve` on an OS-picked port; `stop()` sends SIGTERM and returns its log.
final class CertifierProcess {
    let process: Process
    let port: UInt16
    private let errors: BackgroundRead

    /// Serves `domain` from its state folder, or from `state` (a replica's copy) with `extra` arguments (e.g. `--store URL`).
    init(_ domain: Domain, policy: String? = nil, state: String? = nil, extra: [String] = []) throws {
        let (process, output, error) = try Executables.start(
            program: URL(fileURLWithPath: try Executables.path("cml-certifier")),
            ["serve", "--state", state ?? domain.state, "--policy", policy ?? domain.signedPolicy, "--listen", "127.0.0.1:0"] + extra)
        self.process = process
        errors = BackgroundRead(error.fileHandleForReading)
        // The first line says where it listens: "listening on 127.0.0.1:PORT".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on 127.0.0.1:"), let port = UInt16(text.dropFirst("listening on 127.0.0.1:".count)) else {
            process.waitUntilExit()
            throw CertifierStartFailure(output: text, log: String(decoding: errors.wait(), as: UTF8.self))
        }
        self.port = port
    }

    private var stopped: (status: Int32, log: String)?

    /// Stops the certifier with SIGTERM and returns what it logged; again, returns the same.
    @discardableResult
    func stop() -> (status: Int32, log: String) {
        if let stopped { return stopped }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let result = (process.terminationStatus, String(decoding: errors.wait(), as: UTF8.self))
        stopped = result
        return result
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// `cml-certifier serve` exited instead of listening.
struct CertifierStartFailure: Error, CustomStringConvertible {
    let output: String
    let log: String
    var description: String { "the certifier did not start: \(output) \(log)" }
}
