import Foundation
import Testing

/// The log options of the long-running commands, seen from outside: what a real process writes.
@Suite struct LoggingProcessTests {
    @Test func textLinesCarryTheISOTimeAndTheRole() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try serve(domain, [])
        let line = try certifier.waitForLine { $0.contains(" serving ") }
        #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[certifier\] serving "#, options: .regularExpression) != nil, "\(line)")
        certifier.stop()
        #expect(certifier.standardOutput.allSatisfy { $0.hasPrefix("listening on ") }, "results only on standard output")
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try serve(domain, ["--log-format", "json"])
        _ = try certifier.waitForLine { $0.contains("\"message\": \"serving ") }
        #expect(certifier.end() == 0)
        try #require(!certifier.standardError.isEmpty)
        for line in certifier.standardError {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["role"] as? String == "certifier" && object["level"] is String, "\(line)")
            let time = try #require(object["time"] as? String)
            #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
            #expect(object["message"] is String)
        }
        #expect(certifier.standardError.contains { $0.contains(#""level": "info", "message": "stopped""#) })
    }

    @Test func aWarningLevelHidesInfoLines() throws {
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let certifier = try serve(domain, ["--log-level", "warning"])
        // A refused attestation is a warning: it shows, while "serving" and "stopped" (info) do not.
        let refused = try domain.attest("runtime", port: try certifier.waitForPort { $0.hasPrefix("listening on ") }, extra: ["--claim-role", "certifier"])
        #expect(refused.status == 1)
        _ = try certifier.waitForLine { $0.contains("[certifier] warning: refused ") }
        #expect(certifier.end() == 0)
        // Only warnings and worse: text lines name their level from warning on.
        #expect(!certifier.standardError.isEmpty, "\(certifier.standardError)")
        #expect(certifier.standardError.allSatisfy { $0.contains("] warning: ") || $0.contains("] error: ") }, "\(certifier.standardError)")
        #expect(!certifier.standardError.contains { $0.contains(" serving ") || $0.hasSuffix(" stopped") })
    }

    @Test(arguments: [
        ["cml-certifier", "serve", "--state", "s", "--policy", "p"], ["cml-runtime", "serve", "--state", "s"],
        ["cml-device", "run", "--state", "s"], ["cml-device", "fl", "--state", "s", "--words", "w"],
    ])
    func everyLongRunningCommandTakesTheOptions(command: [String]) throws {
        let xml = try Executables.run(command[0], Array(command.dropFirst()) + ["--log-level", "debug", "--log-format", "xml"])
        #expect(xml.status == 64)
        #expect(xml.standardError.contains("--log-format") && xml.standardError.contains("'text'") && xml.standardError.contains("'json'"), "\(xml.standardError)")
        let loud = try Executables.run(command[0], Array(command.dropFirst()) + ["--log-level", "loud"])
        #expect(loud.status == 64 && loud.standardError.contains("'loud' is invalid") && loud.standardError.contains("- warning"), "\(loud.standardError)")
    }

    private func serve(_ domain: Domain, _ options: [String]) throws -> RunningProcess {
        try RunningProcess("cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0"] + options)
    }
}
