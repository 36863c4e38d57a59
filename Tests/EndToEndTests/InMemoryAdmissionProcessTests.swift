import Admission
import ByteKit
import Channel
import Foundation
import Protocol
import Testing

/// The runtime's key and secrets never touch the host's disk (docs/freshness.md): the attack that read
/// them from its folder, with real processes, and the anchor conflict of two runtimes on copies of one folder.
@Suite(.serialized)
struct InMemoryAdmissionProcessTests {
    /// The domain's sealing secret, as the certifier keeps it.
    func sealingSecret(_ domain: AdmittedDomain) throws -> [UInt8] {
        try FileBytes.read("\(domain.domain.state)/secrets/runtime/sealing", limit: FileSizeLimit(bytes: 64, kind: "a secret"))
    }

    /// Every regular file under `folder`, with its bytes.
    func files(under folder: String) throws -> [(path: String, bytes: [UInt8])] {
        let names = try #require(FileManager.default.subpathsOfDirectory(atPath: folder) as [String]?)
        return try names.sorted().compactMap { name in
            let path = "\(folder)/\(name)"
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
            return (path, try FileBytes.read(path, limit: FileSizeLimit(bytes: 64 << 20, kind: "a state file")))
        }
    }

    /// Whether `needle` occurs in `haystack`.
    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func afterServingAndAnchoringTrainedStateTheFolderHoldsNoKeyAndNoSecret() throws {
        let (domain, runtime, port, _) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        _ = try MLProcessTests().client(domain, role: .device, port: port).train(words: ["about"])
        #expect(runtime.end(with: SIGTERM) == 0)

        let secret = try sealingSecret(domain)
        #expect(secret.count == 32)
        let stored = try files(under: domain.state("runtime"))
        #expect(stored.contains { $0.path.hasSuffix(".sealed") }, "\(stored.map(\.path))")
        for (path, bytes) in stored {
            #expect(!contains(bytes, secret), "\(path) holds the sealing secret")
            #expect(!contains(bytes, Array("PRIVATE KEY".utf8)), "\(path) holds a private key")
        }
        let names = Set(stored.map { ($0.path as NSString).lastPathComponent })
        #expect(names.isDisjoint(with: [RoleStateFiles.tlsKey, RoleStateFiles.admissionCertificate, RoleStateFiles.signedPolicy]), "\(names)")
        #expect(!FileBytes.exists("\(domain.state("runtime"))/\(RoleStateFiles.secrets)"))

        // A restart attests again and resumes the sealed model with the secret it receives.
        let (restarted, _) = try domain.startRuntime()
        defer { restarted.stop() }
        _ = try restarted.waitForLine { $0.contains("restored model ") }
    }

    @Test func aFolderHoldingAnOlderVersionsKeyOrSecretsIsRefusedUntilTheyAreRemoved() throws {
        let domain = try AdmittedDomain()
        let folder = domain.state("runtime")
        try FileBytes.makeDirectory("\(folder)/secrets", mode: 0o700)
        try FileBytes.writeAtomically(Array(repeating: 7, count: 32), to: "\(folder)/secrets/sealing", mode: 0o600)
        try FileBytes.writeAtomically(text: "-----BEGIN PRIVATE KEY-----\n", to: "\(folder)/tls.key", mode: 0o600)

        let refused = try Executables.run("cml-runtime", domain.serveArguments())
        #expect(refused.status == 1)
        #expect(refused.standardOutput.isEmpty)
        #expect(refused.standardError.contains(
            "Error: \(folder)/tls.key and \(folder)/secrets are left from an older cml-runtime: no longer used"), "\(refused.standardError)")
        #expect(refused.standardError.contains("expose the runtime's key and sealing secret to whoever reads this disk, the host"))
        #expect(refused.standardError.contains("(rm -r \(folder)/tls.key \(folder)/secrets)"))
        // Refused before attesting or touching the sealed state.
        #expect(!FileBytes.exists("\(folder)/sealed"))

        try FileManager.default.removeItem(atPath: "\(folder)/tls.key")
        try FileManager.default.removeItem(atPath: "\(folder)/secrets")
        let (runtime, _) = try domain.startRuntime()
        runtime.stop()
    }

    @Test func theRuntimesAttestOnlyChecksAndTakesNoFolder() throws {
        let domain = try AdmittedDomain()
        let checked = try domain.domain.attest("runtime", certifier: domain.certifier)
        try AdmittedDomain.check(checked)
        #expect(checked.lines.first?.hasSuffix("; nothing stored (serve attests at every start)") == true, "\(checked.lines)")
        #expect(checked.lines.last == "released secrets: sealing (not shown, not stored)", "\(checked.lines)")
        #expect(!checked.standardOutput.contains(Hex.encode(try sealingSecret(domain))))

        let withFolder = try domain.domain.attest("runtime", certifier: domain.certifier, state: domain.state("runtime"))
        #expect(withFolder.status == 64)
        #expect(withFolder.standardError.contains("cml-runtime attest keeps nothing, so it takes no --state"), "\(withFolder.standardError)")
        #expect(!FileBytes.exists(domain.state("runtime")))
    }

    @Test func theSecondOfTwoRuntimesOnCopiesOfOneFolderStopsAtTheAnchorConflict() throws {
        let (domain, first, firstPort, _) = try MLProcessTests().servingDomain()
        defer { first.stop() }
        // The host copies the folder (the folder lock holds one folder, not its copies) and starts a second runtime on it.
        let copy = domain.state("runtime-copy")
        try FileManager.default.copyItem(atPath: domain.state("runtime"), toPath: copy)
        let (second, secondPort) = try domain.startRuntime(state: copy)
        defer { second.stop() }

        // The first advances the anchor; the second's next advance then starts from a version the anchor no longer holds.
        _ = try MLProcessTests().client(domain, role: .device, port: firstPort).train(words: ["about"])
        let refused = #expect(throws: ChannelError.self) {
            try MLProcessTests().client(domain, role: .device, port: secondPort).train(words: ["white"])
        }
        // Not acknowledged: `unavailable`, or the connection closed when the runtime stops before the answer is out.
        #expect(refused?.code == .unavailable || refused?.kind == .closed, "\(String(describing: refused))")

        #expect(second.waitForExit() == 1, "\(second.transcript)")
        #expect(second.standardError.contains {
            $0.contains("] error: anchor conflict: ") && $0.contains("another runtime advanced the anchor of this federation")
        }, "\(second.transcript)")
        #expect(second.standardError.last?.hasPrefix("Error: stopped: the certifier refused to anchor this runtime's sealed state (anchor conflict: ") == true,
                "\(second.transcript)")
        // The first serves on.
        #expect(first.isRunning)
        _ = try MLProcessTests().client(domain, role: .device, port: firstPort).getModel()
    }
}
