import Foundation
import Testing
import WordModel

/// The keyboard page in a real browser: headless chromium driven through chromium-driver by selenium
/// (tools/browser/keyboard_check.py), as a person would use it, against real certifier, runtime,
/// provider and `cml-device console` processes.
@Suite(.serialized)
struct BrowserTests {
    @Test(.enabled(if: BrowserCheck.shouldRun, BrowserCheck.skipNote))
    func typeAboTrainAboutAndSeeTheNewModelPredictIt() throws {
        let (domain, runtime, port, initial) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port)
        defer { console.stop() }
        let shots = domain.path("screenshots")

        let seen = try BrowserCheck.run(["http://127.0.0.1:\(page.port)/", "--screenshot", BrowserCheck.screenshots(shots)])
        let before = try #require(seen["before"] as? [String: Any])
        let after = try #require(seen["after"] as? [String: Any])
        #expect(before["model"] as? String == ModelBlob.shortID(of: initial))
        #expect(before["round"] as? String == "0")
        #expect((before["prediction"] as? String)?.hasPrefix("abo") == true)
        #expect(after["model"] as? String != before["model"] as? String)
        #expect(after["round"] as? String == "1")
        #expect(after["prediction"] as? String == "about")
        #expect((seen["status"] as? String)?.hasPrefix("received model \(after["model"] as? String ?? "?")") == true)
        #expect(seen["refusedShown"] as? Bool == false)
        // The runtime's model is the one the page shows.
        #expect(try page.get("/state").json["shortID"] as? String == after["model"] as? String)
        try BrowserCheck.requirePNG(seen["screenshot"])
    }

    @Test(.enabled(if: BrowserCheck.shouldRun, BrowserCheck.skipNote))
    func aRuntimeWithoutAdmissionShowsTheRedBanner() throws {
        let (domain, impostor, port, console, page) = try KeyboardConsole.startAgainstImpostor()
        defer { console.stop(); impostor.stop() }

        let seen = try BrowserCheck.run(["http://127.0.0.1:\(page.port)/", "--expect", "refused", "--screenshot", BrowserCheck.screenshots(domain.path("screenshots"))])
        #expect((seen["banner"] as? String)?.hasPrefix("Runtime refused: it is not admitted in this domain") == true)
        #expect(seen["reason"] as? String
            == "refused runtime at 127.0.0.1:\(port): its certificate is not issued by this domain's policy key (self-signed \"cml-runtime\")")
        #expect(seen["trainEnabled"] as? Bool == false)
        try BrowserCheck.requirePNG(seen["screenshot"])
    }
}

/// The runtime's console page in a real browser (tools/browser/console_check.py): open on the admin
/// endpoint of a real FL runtime while a device takes part in a round, it shows the next round, one
/// more model in the lineage and one more loss point on the chart, without a reload.
@Suite(.serialized)
struct ConsoleBrowserTests {
    @Test(.enabled(if: BrowserCheck.shouldRun, BrowserCheck.skipNote))
    func theRoundAdvancesAndTheChartGainsAPointAfterAnFLRound() throws {
        let domain = try AdmittedDomain(template: "fl") { $0.replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": 1") }
        for role in ["provider", "device"] { try domain.admit(role) }
        let admin = AdminProcessTests()
        let (runtime, port, adminPort, _) = try admin.startRuntime(domain, mode: "fl")
        defer { runtime.stop() }
        try admin.sendInitialModel(domain, port: port)
        try "about\n".write(toFile: domain.path("about.txt"), atomically: true, encoding: .utf8)
        let device = [
            try Executables.path("cml-device"), "fl", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"),
            "--words", domain.path("about.txt"),
        ]

        let seen = try BrowserCheck.run(
            ["http://127.0.0.1:\(adminPort)/", "--screenshot", BrowserCheck.screenshots(domain.path("screenshots")), "--then"] + device,
            script: BrowserCheck.consoleScript)
        let before = try #require(seen["before"] as? [String: Any])
        let after = try #require(seen["after"] as? [String: Any])
        #expect(before["round"] as? String == "0")
        #expect(after["round"] as? String == "1")
        #expect(after["model"] as? String != before["model"] as? String)
        #expect((after["lineage"] as? Int ?? 0) == (before["lineage"] as? Int ?? 0) + 1)
        #expect((after["lossPoints"] as? Int ?? 0) == (before["lossPoints"] as? Int ?? 0) + 1)
        try BrowserCheck.requirePNG(seen["screenshot"])
    }
}

/// tools/browser/keyboard_check.py, and whether this machine can run it.
enum BrowserCheck {
    static let script = Executables.repositoryRoot.appendingPathComponent("tools/browser/keyboard_check.py").path
    /// tools/browser/console_check.py, the runtime's console page.
    static let consoleScript = Executables.repositoryRoot.appendingPathComponent("tools/browser/console_check.py").path
    static let env = URL(fileURLWithPath: "/usr/bin/env")

    /// Whether selenium, chromium and chromium-driver are installed (the script's own check).
    static let isInstalled =
        (try? Executables.run(
            program: env, ["python3", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import browser; sys.exit(browser.missing() is not None)",
                           Executables.repositoryRoot.appendingPathComponent("tools/browser").path]).status) == 0

    /// tools/test sets CML_REQUIRE_BROWSER=1, so that a missing browser fails these tests instead of skipping them.
    static let isRequired = ProcessInfo.processInfo.environment["CML_REQUIRE_BROWSER"] == "1"

    static var shouldRun: Bool { isInstalled || isRequired }

    static let skipNote: Comment =
        "chromium, chromium-driver or selenium is missing (run tools/setup); set CML_REQUIRE_BROWSER=1 to make this a failure"

    /// Runs the script with `arguments` and returns the JSON it printed; fails with it unless it succeeded.
    static func run(_ arguments: [String], script: String = script) throws -> [String: Any] {
        let result = try Executables.run(program: env, ["python3", script] + arguments)
        try #require(result.status != 3, "the browser is missing but CML_REQUIRE_BROWSER=1: \(result.standardOutput)")
        try #require(result.status == 0, "the page did not do what it should:\n\(result.standardOutput)\n\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        return try #require(json as? [String: Any], "not a JSON object: \(result.standardOutput)")
    }

    /// Where the screenshots go: `CML_SCREENSHOTS` when set (`CML_SCREENSHOTS=$PWD/docs/screenshots swift test
    /// --filter BrowserTests` retakes the README's), `scratch` otherwise.
    static func screenshots(_ scratch: String) -> String {
        ProcessInfo.processInfo.environment["CML_SCREENSHOTS"] ?? scratch
    }

    /// Requires `path` to name a PNG file.
    static func requirePNG(_ path: Any?) throws {
        let path = try #require(path as? String, "no screenshot")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)).prefix(8))
        #expect(bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(path) is not a PNG")
    }
}
