import Foundation
import Testing

/// tools/check-manifest: Package.swift declares exactly what each target's files import, so the module
/// graph in Package.swift (and docs/architecture.md) is the one the code has.
@Suite struct ManifestTests {
    /// Runs tools/check-manifest on `folder` (none: this repository).
    func check(_ folder: String? = nil) throws -> Executables.Result {
        let script = Executables.repositoryRoot.appendingPathComponent("tools/check-manifest").path
        return try Executables.run(program: URL(fileURLWithPath: "/usr/bin/env"), ["python3", script] + (folder.map { [$0] } ?? []))
    }

    @Test func everyTargetDeclaresWhatItImportsAndImportsWhatItDeclares() throws {
        let result = try check()
        #expect(result.status == 0, "Package.swift does not match the imports:\n\(result.standardOutput)\(result.standardError)")
    }

    @Test func anUndeclaredImportAndAnUnusedDependencyAreEachNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = [
            "Package.swift": """
                let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
                let package = Package(name: "P", targets: [
                    .target(name: "Low"),
                    .target(name: "Middle", dependencies: ["Low", logging]),
                    .target(name: "High", dependencies: ["Middle"]),
                    .testTarget(name: "HighTests", dependencies: ["High", "tool"]),
                    .executableTarget(name: "tool", dependencies: ["High"], path: "tools/tool"),
                ])
                """,
            "Sources/Low/Low.swift": "import Foundation\n",
            "Sources/Middle/Middle.swift": "public import Low\n",
            "Sources/High/High.swift": "import Middle\n@testable import Low\n",
            "Tests/HighTests/HighTests.swift": "import High\nimport Testing\n",
            "tools/tool/main.swift": "import High\n",
        ]
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let result = try check(folder.path)
        #expect(result.status == 1)
        // HighTests depends on the executable `tool` only so that it is built first: that is not a mismatch.
        #expect(result.lines == [
            "Middle declares Logging but no file of it imports it",
            "High imports Low but Package.swift does not declare it",
        ])
    }
}
