import Attestation
import Foundation
import OpenSSLKit
import Testing

/// `cml-token inspect`, `verify` and `make`, run as the built executable on the CCA vectors.
@Suite struct TokenCommandsTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-token-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// A file of the attestation vectors (Tests/AttestationTests/Vectors, copied from shared/testdata/cca).
    static func vector(_ name: String) -> String {
        Executables.repositoryRoot.appendingPathComponent("Tests/AttestationTests/Vectors/\(name)").path
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func json(_ result: Executables.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    @Test func inspectPrintsEveryClaimByName() throws {
        let legacy = try Executables.run("cml-token", ["inspect", Self.vector("cca-token-01.cbor")])
        #expect(legacy.status == 0, "\(legacy.standardError)")
        #expect(legacy.lines.first == "CCA attestation token, tag 399")
        #expect(legacy.lines.contains("platform token   ES384   profile http://arm.com/CCA-SSD/1.0.0"))
        #expect(legacy.lines.contains("  challenge            b5973cb68baa9fc5...87a011ea (32 bytes)"))
        #expect(legacy.lines.contains("  lifecycle            0x3003 (secured)"))
        #expect(legacy.lines.contains("    BL            measurement 07060504...  signer 0706050403...  sha-256  version 3.4.2"))
        #expect(legacy.lines.contains("realm token      ES384   profile none (legacy format)"))
        #expect(legacy.lines.contains("  public key (RAK)     raw point, P-384, 97 bytes"))

        let collection = try Executables.run("cml-token", ["inspect", Self.vector("cca_example_token.cbor")])
        #expect(collection.status == 0)
        #expect(collection.lines.first == "CCA attestation token, tag 907 (CMW collection)")
        #expect(collection.lines.contains("realm token      ES384   profile tag:arm.com,2024:realm#2.0.0"))
        #expect(collection.lines.contains("  public key (RAK)     COSE_Key, P-384, 107 bytes"))
        #expect(collection.lines.contains("  MEC policy           1"))
        #expect(collection.lines.filter { $0.hasPrefix("  extensible meas. ") }.count == 4)

        let bare = try Executables.run("cml-token", ["inspect", Self.vector("cca_example_platform_token.cbor")])
        #expect(bare.status == 0)
        #expect(bare.lines.first == "CCA platform token alone (COSE_Sign1, tag 18)")
        #expect(!bare.lines.contains { $0.hasPrefix("realm token") })
    }

    @Test func inspectEscapesControlCharactersInTextClaims() throws {
        // Any file can claim to be a token: its text claims must not move the cursor or recolour the terminal.
        let platformKey = ECPrivateKey(generating: .p384)
        let maker = CCATokenMaker(platformKey: platformKey, realmKey: ECPrivateKey(generating: .p384))
        var platform = SimulatedPlatform.claims(for: platformKey.publicKey)
        platform.profile = "\u{1b}[2Jtag:arm.com,2023:cca_platform#1.0.0"
        platform.softwareComponents[0].version = "1\r\nrealm token      ES384   profile forged"
        let realm = RealmClaims(
            profile: nil, challenge: [UInt8](repeating: 1, count: 64), personalizationValue: [UInt8](repeating: 0, count: 64),
            initialMeasurement: [UInt8](repeating: 2, count: 32), extensibleMeasurements: Array(repeating: [UInt8](repeating: 0, count: 32), count: 4),
            hashAlgorithm: "sha-256\u{9b}31m", publicKey: maker.realmPublicKey(for: nil))
        try Data(maker.make(platform: platform, realm: realm, format: .tag399)).write(to: URL(fileURLWithPath: path("odd.cbor")))

        let result = try Executables.run("cml-token", ["inspect", path("odd.cbor")])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x9b || $0 == "\r" })
        #expect(result.lines.contains(#"platform token   ES384   profile "\u001b[2Jtag:arm.com,2023:cca_platform#1.0.0""#))
        #expect(result.lines.contains { $0.hasSuffix(#"version "1\r\nrealm token      ES384   profile forged""#) })
        #expect(result.lines.contains(#"  hash algorithm       "sha-256\u009b31m""#))
        #expect(result.lines.filter { $0.hasPrefix("realm token") } == ["realm token      ES384   profile none (legacy format)"])
    }

    @Test func inspectJSONUsesVeraisonNames() throws {
        let result = try Executables.run("cml-token", ["inspect", "--json", Self.vector("cca-token-draft-ffm-00.cbor")])
        #expect(result.status == 0, "\(result.standardError)")
        let document = try json(result)
        #expect(document["format"] as? String == "tag-399")
        #expect(document["platform-alg"] as? String == "ES384")
        #expect(document["realm-public-key-encoding"] as? String == "COSE_Key")
        let platform = try #require(document["platform"] as? [String: Any])
        #expect(Set(platform.keys) == [
            "cca-platform-profile", "cca-platform-challenge", "cca-platform-implementation-id", "cca-platform-instance-id",
            "cca-platform-config", "cca-platform-lifecycle", "cca-platform-sw-components", "cca-platform-service-indicator",
            "cca-platform-hash-algo-id",
        ])
        #expect(platform["cca-platform-challenge"] as? String == "0d22e08a98469058486318283489bdb36f09dbefeb1864df433fa6e54ea2d711")
        #expect(platform["cca-platform-lifecycle"] as? Int == 0x3003)
        let components = try #require(platform["cca-platform-sw-components"] as? [[String: String]])
        #expect(components.count == 13)
        #expect(components.first.map { Set($0.keys) } == ["measurement-type", "measurement-value", "signer-id", "hash-algo-id"])
        #expect(components.first?["measurement-value"] == "9a271f2a916b0b6ee6cecb2426f0b3206ef074578be55d9bc94f6f3fe3ab86aa")
        let realm = try #require(document["realm"] as? [String: Any])
        #expect(Set(realm.keys) == [
            "cca-realm-profile", "cca-realm-challenge", "cca-realm-personalization-value", "cca-realm-initial-measurement",
            "cca-realm-extensible-measurements", "cca-realm-hash-algo-id", "cca-realm-public-key", "cca-realm-public-key-hash-algo-id",
        ])
        #expect(realm["cca-realm-profile"] as? String == "tag:arm.com,2023:realm#1.0.0")
        #expect((realm["cca-realm-public-key"] as? String)?.hasPrefix("a40102200221583076f98809") == true)
        #expect((realm["cca-realm-extensible-measurements"] as? [String])?.count == 4)
    }

    @Test func inspectRefusesWhatIsNotAToken() throws {
        let result = try Executables.run("cml-token", ["inspect", Self.vector("cca_platform.pem")])
        #expect(result.status == 1)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains("cca_platform.pem: not a CCA token: the token is not valid CBOR"))
        #expect(try Executables.run("cml-token", ["inspect", path("missing.cbor")]).status == 1)
    }

    @Test(arguments: [
        ("cca-token-01.cbor", "cca_platform.pem"), ("cca-token-01.cbor", "cpak.json"), ("cca-token-draft-ffm-00.cbor", "cca_platform.pem"),
        ("cca_example_token.cbor", "cca_platform.pem"), ("cca_example_platform_token.cbor", "cpak.json"), ("cca-token-02.cbor", "ta-02-ok.json"),
    ])
    func verifyAcceptsTheValidVectors(token: String, key: String) throws {
        let result = try Executables.run("cml-token", ["verify", Self.vector(token), "--platform-key", Self.vector(key)])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.lines.first == "verified")
        #expect(result.lines.contains { $0.hasPrefix("  passed               decode, platform signature") })
    }

    @Test func verifyRejectsBug33ForItsBinding() throws {
        let result = try Executables.run("cml-token", ["verify", Self.vector("bug-33-repro.cbor"), "--platform-key", Self.vector("cca_platform.pem")])
        #expect(result.status == 1)
        #expect(result.lines == ["rejected: binding: the platform challenge 07060504... is not sha-256 of the realm public key (b5973cb6...)"])

        let json = try json(Executables.run(
            "cml-token", ["verify", "--json", Self.vector("bug-33-repro.cbor"), "--platform-key", Self.vector("cca_platform.pem")]))
        #expect(json["verified"] as? Bool == false)
        #expect(json["passed"] as? [String] == ["decode", "platform signature", "realm signature"])
        let failure = try #require(json["failure"] as? [String: String])
        #expect(failure["step"] == "binding")
        #expect(failure["reason"] == "the platform challenge 07060504... is not sha-256 of the realm public key (b5973cb6...)")
        #expect((json["platform"] as? [String: Any])?["cca-platform-profile"] as? String == "http://arm.com/CCA-SSD/1.0.0")
    }

    @Test func verifyRejectsTheBadTrustAnchorAsAKey() throws {
        let result = try Executables.run("cml-token", ["verify", Self.vector("cca-token-02.cbor"), "--platform-key", Self.vector("ta-02-bad.json")])
        #expect(result.status == 1)
        #expect(result.standardError.contains("platform key \(Self.vector("ta-02-bad.json")): trust anchor 0: \"pkey\": reading a JWK public key"))
    }

    @Test func verifyChecksFreshness() throws {
        let token = Self.vector("cca-token-01.cbor")
        let key = Self.vector("cca_platform.pem")
        let fresh = try Executables.run("cml-token", ["verify", token, "--platform-key", key, "--challenge", String(repeating: "ab", count: 64)])
        #expect(fresh.status == 0)
        #expect(fresh.lines.contains("  passed               decode, platform signature, realm signature, binding, freshness"))
        let stale = try Executables.run("cml-token", ["verify", token, "--platform-key", key, "--nonce", "abab"])
        #expect(stale.status == 1)
        #expect(stale.lines == ["rejected: freshness: the realm challenge abababab... is not the expected abab0000... (a 2-byte nonce zero-padded to 64 bytes)"])
        let rawKey = path("platform.raw")
        try Data(try Attestation.PlatformTrustAnchor.load(contentsOfFile: key)[0].key.rawPoint).write(to: URL(fileURLWithPath: rawKey))
        #expect(try Executables.run("cml-token", ["verify", token, "--platform-key", rawKey]).status == 0)
    }

    @Test(arguments: [
        ["verify", "TOKEN"],
        ["verify", "TOKEN", "--platform-key", "KEY", "--nonce", "zz"],
        ["verify", "TOKEN", "--platform-key", "KEY", "--nonce", "01", "--challenge", "02"],
        ["verify", "TOKEN", "--platform-key", "KEY", "--challenge", "0102"],
        ["verify", "TOKEN", "--platform-key", "KEY", "--nonce", String(repeating: "00", count: 65)],
        ["make", "--platform-key", "KEY", "--realm-key", "KEY", "--challenge", "01", "--rim", "0102", "--out", "x"],
        ["make", "--platform-key", "KEY", "--realm-key", "KEY", "--challenge", "01", "--rim", String(repeating: "00", count: 32), "--rem", "00", "--out", "x"],
        ["make", "--platform-key", "KEY", "--realm-key", "KEY", "--challenge", "01", "--rim", String(repeating: "00", count: 32), "--format", "18", "--out", "x"],
        ["make", "--platform-key", "KEY", "--realm-key", "KEY", "--challenge", "01", "--rim", String(repeating: "00", count: 32), "--realm-profile", "2099", "--out", "x"],
        ["inspect"],
        ["sign"],
    ])
    func usageErrorsExit64(arguments: [String]) throws {
        let resolved = arguments.map { $0 == "TOKEN" ? Self.vector("cca-token-01.cbor") : $0 == "KEY" ? Self.vector("cca_platform.pem") : $0 }
        let result = try Executables.run("cml-token", resolved)
        #expect(result.status == 64, "\(resolved): \(result.standardError)")
        #expect(result.standardError.contains("Error: "))
    }

    static let makeCases: [(format: String, profile: String)] = ["399", "907"].flatMap { format in
        ["none", "2023", "2024", "2026"].map { (format, $0) }
    }

    /// Runs `cml-token make` with the sample keys and a 48-byte RIM; returns the token's path.
    func make(format: String, profile: String, rim: String) throws -> String {
        let out = path("made-\(format)-\(profile).cbor")
        let made = try Executables.run("cml-token", [
            "make", "--platform-key", Self.vector("cca_platform.pem"), "--realm-key", Self.vector("cca_realm.pem"),
            "--challenge", "c0ffee", "--rim", rim, "--rem", rim, "--rem", rim, "--rem", rim, "--rem", rim,
            "--personalization", String(repeating: "50", count: 64), "--format", format, "--realm-profile", profile, "--out", out,
        ])
        #expect(made.status == 0, "\(made.standardError)")
        #expect(made.lines.first?.hasPrefix("wrote \(out) (") == true)
        #expect(made.lines.first?.hasSuffix(profile == "none" ? "RAK raw point" : "RAK COSE_Key") == true)
        return out
    }

    /// Every form and profile that `make` writes verifies with `verify` and reads back with `inspect`.
    @Test(arguments: makeCases)
    func makeThenVerify(format: String, profile: String) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let rim = String(repeating: "3d", count: 48)
        let out = try make(format: format, profile: profile, rim: rim)

        let verified = try Executables.run("cml-token", ["verify", out, "--platform-key", Self.vector("cpak.json"), "--nonce", "c0ffee"])
        #expect(verified.status == 0, "\(verified.standardOutput)")
        #expect(verified.lines.contains("  passed               decode, platform signature, realm signature, binding, freshness"))

        let inspected = try json(Executables.run("cml-token", ["inspect", "--json", out]))
        #expect(inspected["format"] as? String == "tag-\(format)")
        let realm = try #require(inspected["realm"] as? [String: Any])
        #expect(realm["cca-realm-initial-measurement"] as? String == rim)
        #expect(realm["cca-realm-hash-algo-id"] as? String == "sha-384")
        #expect((realm["cca-realm-profile"] as? String).map { $0.contains(",\(profile):") } ?? (profile == "none"))
    }

    /// pycose, an implementation that is not ours, verifies both signatures and the binding of every token
    /// `make` writes, and refuses a tampered one and bug-33's binding (so the script can fail).
    @Test(.enabled(if: Pycose.shouldRun, Pycose.skipNote))
    func pycoseVerifiesMadeTokens() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = Self.vector("cca_platform.pem")
        for (format, profile) in Self.makeCases {
            let out = try make(format: format, profile: profile, rim: String(repeating: "3d", count: 48))
            let result = try Pycose.run(token: out, platformKey: key)
            #expect(result.status == 0, "\(format)/\(profile): \(result.standardOutput)\(result.standardError)")
            #expect(result.lines == ["platform: ES384 signature verifies", "realm: ES384 signature verifies", "binding: platform challenge is sha-256 of the RAK claim bytes"])
        }
        let made = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path("made-907-2024.cbor"))))
        let tampered = path("tampered.cbor")
        try Data(made.enumerated().map { $0.offset == made.count - 10 ? $0.element ^ 1 : $0.element }).write(to: URL(fileURLWithPath: tampered))
        let refused = try Pycose.run(token: tampered, platformKey: key)
        #expect(refused.status == 1)
        #expect(refused.lines.contains("realm: ES384 signature DOES NOT VERIFY"))
        let bug33 = try Pycose.run(token: Self.vector("bug-33-repro.cbor"), platformKey: key)
        #expect(bug33.status == 1)
        #expect(bug33.lines.last == "binding: platform challenge IS NOT sha-256 of the RAK claim bytes")
    }

    @Test func makeNamesAnUnreadableKey() throws {
        let result = try Executables.run("cml-token", [
            "make", "--platform-key", path("none.pem"), "--realm-key", Self.vector("cca_realm.pem"), "--challenge", "01",
            "--rim", String(repeating: "00", count: 32), "--out", path("x.cbor"),
        ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("platform key \(path("none.pem")): no such file or directory"))
    }
}

/// Tests/AttestationTests/pycose_verify.py: both COSE_Sign1 and the binding, checked by pycose.
enum Pycose {
    static let script = Executables.repositoryRoot.appendingPathComponent("Tests/AttestationTests/pycose_verify.py").path
    static let env = URL(fileURLWithPath: "/usr/bin/env")

    /// Whether python3 can import pycose.
    static let isInstalled = (try? Executables.run(program: env, ["python3", "-c", "import pycose"]).status) == 0

    /// tools/test sets CML_REQUIRE_PYCOSE=1, so that a missing pycose fails the interop test instead of skipping it.
    static let isRequired = ProcessInfo.processInfo.environment["CML_REQUIRE_PYCOSE"] == "1"

    static var shouldRun: Bool { isInstalled || isRequired }

    static let skipNote: Comment =
        "pycose is not installed (pip install pycose, or run tools/setup); set CML_REQUIRE_PYCOSE=1 to make this a failure"

    /// Runs the script on a token; exit 3 means pycose is missing.
    static func run(token: String, platformKey: String) throws -> Executables.Result {
        let result = try Executables.run(program: env, ["python3", script, token, platformKey])
        try #require(result.status != 3, "pycose is not installed but CML_REQUIRE_PYCOSE=1: \(result.standardError)")
        return result
    }
}
