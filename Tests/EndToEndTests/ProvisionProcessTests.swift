import ByteKit
import Foundation
import Testing

/// `cml-certifier provision`, and the multi-host guide tried as written: every role runs from its own
/// kit folder on its own loopback port, with exactly the commands of its kit's README.
@Suite(.serialized) struct ProvisionProcessTests {
    /// The files of each kit with the sim attester; platform/ is the simulated platform.
    static let simulatedKits: [String: Set<String>] = [
        "certifier": ["README.md", "cml-certifier.service", "cml.env", "policy.crt", "policy.signed"],
        "runtime": ["README.md", "cml-runtime.service", "cml.env", "policy.crt", "SIMULATION-ONLY.txt",
                    "platform/instance-id", "platform/platform.key", "platform/platform.pem"],
        "provider": ["README.md", "cml.env", "policy.crt", "SIMULATION-ONLY.txt", "platform/instance-id", "platform/platform.key", "platform/platform.pem"],
        "device": ["README.md", "cml.env", "policy.crt", "SIMULATION-ONLY.txt", "platform/instance-id", "platform/platform.key", "platform/platform.pem"],
    ]

    @Test func kitsHoldExactlyTheListedFiles() throws {
        let domain = try Domain(platforms: 3)
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let kits = "\(domain.folder)/kits"
        try AdmittedDomain.check(try provision(domain, kits))
        for (role, expected) in Self.simulatedKits {
            #expect(try files(in: "\(kits)/\(role)") == expected, "\(role)")
        }
        #expect(try FileBytes.readText("\(kits)/runtime/SIMULATION-ONLY.txt", limit: .init(bytes: 4096, kind: "a note")).contains("can forge"))
        // Each role host on a platform of its own, as separate machines are.
        let instances = try ["runtime", "provider", "device"].map { try FileBytes.readText("\(kits)/\($0)/platform/instance-id", limit: .init(bytes: 200, kind: "an id")) }
        #expect(Set(instances).count == 3)
        let unit = try FileBytes.readText("\(kits)/certifier/cml-certifier.service", limit: .init(bytes: 4096, kind: "a unit"))
        #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID") && unit.contains("Restart=on-failure") && unit.contains("EnvironmentFile=/opt/cml/cml.env"))

        // A real CCA domain: no platform folder anywhere, and no policy key in any kit.
        let real = "\(domain.folder)/real"
        try AdmittedDomain.check(try provision(domain, real, extra: ["--attester", "tsm"]))
        for (role, expected) in Self.simulatedKits {
            #expect(try files(in: "\(real)/\(role)") == expected.filter { !$0.hasPrefix("platform/") && $0 != "SIMULATION-ONLY.txt" }, "\(role)")
        }
        for folder in [kits, real] {
            #expect(try files(in: folder).allSatisfy { !$0.hasSuffix("policy.key") && !$0.hasSuffix("certifier.key") && !$0.contains("secrets") })
        }
    }

    @Test func anExistingKitIsRefusedAndNothingIsWritten() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let kits = "\(domain.folder)/kits"
        try FileBytes.makeDirectory(kits)
        try FileBytes.makeDirectory("\(kits)/device")
        let refused = try provision(domain, kits)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("\(kits)/device already exists; nothing was written (give --force"), "\(refused.standardError)")
        #expect(try files(in: kits).isEmpty)
        try AdmittedDomain.check(try provision(domain, kits, extra: ["--force"]))
        #expect(try files(in: "\(kits)/device").contains("cml.env"))
        let badHost = try provision(domain, "\(domain.folder)/other", extra: ["--host", "device=127.0.0.1:1"])
        #expect(badHost.status == 64 && badHost.standardError.contains("only the certifier and the runtime listen"))
    }

    @Test func theRolesRunFromTheirKitsAsTheReadmesSay() throws {
        let domain = try Domain(platforms: 3)
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let kits = "\(domain.folder)/kits"
        let (certifierPort, runtimePort) = (try unusedPort(), try unusedPort())
        try AdmittedDomain.check(try provision(
            domain, kits, extra: ["--host", "certifier=127.0.0.1:\(certifierPort)", "--host", "runtime=127.0.0.1:\(runtimePort)"]))
        // The model the provider serves, made where the provider's README says it comes from.
        try AdmittedDomain.check(try Executables.run("cml-provider", [
            "train", "--seed", "1", "--words", Executables.repositoryRoot.appendingPathComponent("data/words-short.txt").path,
            "--epochs", "1", "--out", "\(kits)/provider/model.blob"]))

        let certifierSteps = try readmeCommands("\(kits)/certifier")
        try #require(certifierSteps.count == 1)
        let certifier = try background(certifierSteps[0], in: "\(kits)/certifier")
        defer { certifier.stop() }
        #expect(try certifier.waitForPort { $0.hasPrefix("listening on ") } == certifierPort)

        let runtimeSteps = try readmeCommands("\(kits)/runtime")
        try #require(runtimeSteps.count == 2)
        try AdmittedDomain.check(try step(runtimeSteps[0], in: "\(kits)/runtime"))
        let runtime = try background(runtimeSteps[1], in: "\(kits)/runtime")
        defer { runtime.stop() }
        #expect(try runtime.waitForPort { $0.hasPrefix("serving ML mode on ") } == runtimePort)

        let providerSteps = try readmeCommands("\(kits)/provider")
        try #require(providerSteps.count == 3)
        for command in providerSteps[0...1] { try AdmittedDomain.check(try step(command, in: "\(kits)/provider")) }
        let deviceSteps = try readmeCommands("\(kits)/device")
        try #require(deviceSteps.count == 3)
        try AdmittedDomain.check(try step(deviceSteps[0], in: "\(kits)/device"))
        try AdmittedDomain.check(try step(deviceSteps[1], in: "\(kits)/device"))
        let predicted = try step(deviceSteps[2], in: "\(kits)/device")
        try AdmittedDomain.check(predicted)
        #expect(predicted.lines == ["about"], "\(predicted.standardOutput)")
        let fetched = try step(providerSteps[2], in: "\(kits)/provider")
        try AdmittedDomain.check(fetched)
        #expect(fetched.lines.last?.hasPrefix("written to trained.blob") == true)
        #expect(FileBytes.exists("\(kits)/provider/trained.blob"))
        // Every role's state sits in its own kit folder: separate hosts share no file; the runtime's holds its sealed state and no key.
        for role in ["provider", "device"] { #expect(FileBytes.exists("\(kits)/\(role)/state/admission.crt"), "\(role)") }
        #expect(FileBytes.exists("\(kits)/runtime/state/sealed"))
        #expect(!FileBytes.exists("\(kits)/runtime/state/tls.key") && !FileBytes.exists("\(kits)/runtime/state/secrets"))
    }

    // MARK: - Helpers

    private func provision(_ domain: Domain, _ kits: String, extra: [String] = []) throws -> Executables.Result {
        try Executables.run("cml-certifier", ["provision", "--state", domain.state, "--policy", domain.signedPolicy, "--out", kits] + extra)
    }

    /// The files under `folder`, as paths relative to it.
    private func files(in folder: String) throws -> Set<String> {
        let names = try FileManager.default.subpathsOfDirectory(atPath: folder)
        return Set(names.filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(folder)/\(name)", isDirectory: &isFolder) && !isFolder.boolValue
        })
    }

    /// The command lines of the README's `sh` block after its first line (which reads cml.env).
    private func readmeCommands(_ kit: String) throws -> [String] {
        let readme = try FileBytes.readText("\(kit)/README.md", limit: .init(bytes: 64 * 1024, kind: "a README"))
        let block = readme.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "\n```").first ?? ""
        let lines = block.split(separator: "\n").map(String.init)
        try #require(lines.first == "set -a; . ./cml.env; set +a", "\(readme)")
        return Array(lines.dropFirst())
    }

    /// `command` as the README runs it: from the kit folder, after cml.env, the built executables on the PATH.
    private func script(_ command: String, in kit: String) -> [String] {
        ["-c", "cd \"$0\" && PATH=\"$1:$PATH\" && set -a && . ./cml.env && set +a && exec \(command)", kit, Executables.directory.path]
    }

    private func step(_ command: String, in kit: String) throws -> Executables.Result {
        try Executables.run(program: URL(fileURLWithPath: "/bin/sh"), script(command, in: kit))
    }

    private func background(_ command: String, in kit: String) throws -> RunningProcess {
        try RunningProcess(program: "/bin/sh", name: command.split(separator: " ").prefix(2).joined(separator: " "), script(command, in: kit))
    }

    /// A loopback port nobody listens on now (the system's pick for a socket closed at once).
    private func unusedPort() throws -> UInt16 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        try #require(bound)
        return UInt16(bigEndian: address.sin_port)
    }
}
