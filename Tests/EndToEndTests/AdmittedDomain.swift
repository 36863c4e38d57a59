import Foundation
import Testing

/// A domain of real processes on loopback, as `tools/demo` sets it up: the certifier of a `Domain`
/// serving, provider and device attesting into state folders of their own, and the runtime attesting
/// in memory at every start of `serve`.
final class AdmittedDomain {
    let domain: Domain
    let certifier: CertifierProcess

    /// Makes the domain from `policy-templates/<template>.json` (its text changed by `edit`) with
    /// `platforms` simulated platforms, and starts its certifier.
    init(template: String = "ml", platforms: Int = 1, extraMeasures: [String] = [], edit: (String) -> String = { $0 }) throws {
        domain = try Domain(name: template, platforms: platforms, extraMeasures: extraMeasures, template: edit)
        certifier = try CertifierProcess(domain)
    }

    deinit {
        certifier.stop()
        try? FileManager.default.removeItem(atPath: domain.folder)
    }

    /// The state folder of `role`.
    func state(_ role: String) -> String {
        "\(domain.folder)/\(role)"
    }

    /// A file in the domain's folder.
    func path(_ name: String) -> String {
        "\(domain.folder)/\(name)"
    }

    /// Attests `role` (provider or device) into `state(role)` and requires it to be admitted.
    func admit(_ role: String) throws {
        try Self.check(try domain.attest(role, certifier: certifier, state: state(role)))
    }

    /// The certifier's address, for `--certifier`.
    var certifierAddress: String { "127.0.0.1:\(certifier.port)" }

    /// The arguments of `cml-runtime serve` in `mode` on an OS-picked port with the runtime's folder
    /// `state` (by default `state("runtime")`), attesting with the sim attester to the domain's certifier and
    /// anchored there.
    /// With `store` (a connection string) the runtime keeps its rounds in that database, as replica
    /// `replica` if given, and has no state folder.
    func serveArguments(mode: String = "ml", state: String? = nil, store: String? = nil, replica: String? = nil) -> [String] {
        let keeping = store.map { ["--store", $0] + (replica.map { ["--replica", $0] } ?? []) } ?? ["--state", state ?? self.state("runtime")]
        return ["serve"] + keeping + [
            "--listen", "127.0.0.1:0", "--mode", mode, "--certifier", certifierAddress,
            "--policy-cert", domain.policyCertificate, "--attester", "sim", "--platform", domain.platform,
        ]
    }

    /// Starts `cml-runtime serve` (see `serveArguments`); returns it and its port.
    func startRuntime(mode: String = "ml", state: String? = nil, store: String? = nil, replica: String? = nil) throws -> (RunningProcess, UInt16) {
        let runtime = try RunningProcess("cml-runtime", serveArguments(mode: mode, state: state, store: store, replica: replica))
        return (runtime, try runtime.waitForPort { $0.hasPrefix("serving \(mode.uppercased()) mode on ") })
    }

    /// Requires `result` to be a success, showing its output otherwise.
    static func check(_ result: Executables.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(result.status == 0, "\(result.standardOutput)\n\(result.standardError)", sourceLocation: sourceLocation)
    }
}
