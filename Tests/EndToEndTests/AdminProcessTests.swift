import Admission
import ByteKit
import Channel
import Foundation
import OpenSSLKit
import Testing

/// The admin endpoint of real `serve` processes (`--admin-listen 127.0.0.1:0`): the metrics a round and a
/// training move, the /status JSON, the `status` commands, the console page, and what the endpoint
/// refuses (unknown paths, other methods, a huge request line or header, TLS); and that nothing served
/// holds a training word or the sealing secret.
@Suite(.serialized)
struct AdminProcessTests {
    /// The words the provider's and the device's training uses (data/words-short.txt).
    static let trainingWords = ["which", "there", "their", "about", "white"]

    /// `cml-runtime serve` in `mode` with the admin endpoint on an OS-picked port: the process, the
    /// runtime's port and the admin port.
    func startRuntime(_ domain: AdmittedDomain, mode: String) throws -> (RunningProcess, port: UInt16, admin: UInt16, admission: Admission) {
        let runtime = try RunningProcess("cml-runtime", domain.serveArguments(mode: mode) + ["--admin-listen", "127.0.0.1:0"])
        let admin = try runtime.waitForPort { $0.hasPrefix("admin on http://127.0.0.1:") }
        let port = try runtime.waitForPort { $0.hasPrefix("serving \(mode.uppercased()) mode on ") }
        // The runtime's admission is in its memory only: its serial and expiry are in its log.
        let admitted = try runtime.waitForLine { $0.contains("admitted as runtime (") }
        let serial = try #require(admitted.range(of: "certificate serial ").map { String(admitted[$0.upperBound...].prefix(while: \.isHexDigit)) })
        let until = try #require(admitted.range(of: ") until ").map { String(admitted[$0.upperBound...].prefix { $0 != ";" }) })
        return (runtime, port, admin, Admission(serial: serial, expiry: until))
    }

    /// What the runtime's log says of its admission.
    struct Admission {
        let serial: String
        /// As `UTCTimeText` writes it.
        let expiry: String
    }

    /// The domain's sealing secret, as the certifier keeps it.
    func sealingSecret(_ domain: AdmittedDomain) throws -> [UInt8] {
        try FileBytes.read("\(domain.domain.state)/secrets/runtime/sealing", limit: FileSizeLimit(bytes: 64, kind: "a secret"))
    }

    /// Sends the provider's initial model (seed 42, 5 epochs on data/words-short.txt) to the runtime on `port`.
    func sendInitialModel(_ domain: AdmittedDomain, port: UInt16) throws {
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
    }

    @Test func anFLRoundMovesTheMetricsAndShowsInTheStatus() throws {
        let domain = try AdmittedDomain(template: "fl") { $0.replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": 1") }
        for role in ["provider", "device"] { try domain.admit(role) }
        let (runtime, port, admin, admission) = try startRuntime(domain, mode: "fl")
        defer { runtime.stop() }
        let before = try AdminHTTP.metrics(port: admin)
        #expect(before.value("cml_fl_round") == 0)
        #expect(before.value("cml_fl_min_updates") == 1)
        #expect(before.value("cml_fl_rounds_total") == nil)

        try sendInitialModel(domain, port: port)
        try "about\n".write(toFile: domain.path("about.txt"), atomically: true, encoding: .utf8)
        // `fl` sends the update, then waits for the round's global model: once it is done, round 0 is published.
        try AdmittedDomain.check(
            try Executables.run("cml-device", ["fl", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "--words", domain.path("about.txt")]))

        let metrics = try AdminHTTP.metrics(port: admin)
        #expect(metrics.value("cml_fl_round") == 1)
        #expect(metrics.value("cml_fl_rounds_total") == 1)
        #expect(metrics.value("cml_fl_last_round_devices") == 1)
        #expect(metrics.value("cml_fl_round_updates") == 0)
        #expect(metrics.value("cml_fl_round_duration_seconds_count") == 1)
        #expect((metrics.value("cml_fl_aggregation_seconds_total") ?? 0) > 0)
        #expect((metrics.value("cml_fl_round_deadline_seconds") ?? 0) > Date().timeIntervalSince1970)
        #expect(metrics.value("cml_runtime_requests_total", ["type": "update", "outcome": "ok"]) == 1)
        #expect(metrics.value("cml_runtime_requests_total", ["type": "put-model", "outcome": "ok"]) == 1)
        #expect(metrics.value("cml_runtime_request_duration_seconds_count", ["type": "update"]) == 1)
        #expect(metrics.value("cml_runtime_admission_expiry_seconds").map { UTCTimeText.format(Date(timeIntervalSince1970: $0)) } == admission.expiry)
        #expect(metrics.value("cml_runtime_trainings_total") == nil)

        let status = try JSONDecoder().decode(StatusShape.self, from: Data(try AdminHTTP.get("/status", port: admin).body))
        #expect(status.role == "runtime" && status.mode == "fl")
        #expect(status.model?.round == 1)
        #expect(status.openRound?.round == 1 && status.openRound?.updates == 0 && status.openRound?.minUpdates == 1)
        #expect((status.openRound?.secondsToDeadline ?? 0) > 0)
        // The provider's model (round 0, an upload), then round 0's global model.
        #expect(status.rounds.map(\.round) == [0, 1])
        #expect(status.rounds.first?.rule == "upload")
        #expect(status.rounds.last?.updates == 1 && status.rounds.last?.samples == 2 && status.rounds.last?.id == status.model?.id)
        #expect(status.policy.sha256.count == 64 && status.policy.roles.map(\.role).contains("device"))
        #expect(status.admission?.serial == String(admission.serial.prefix(8)))
    }

    @Test func anMLTrainingMovesTheMetricsAndNothingServedHoldsAWordOrTheSecret() throws {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }
        let (runtime, port, admin, _) = try startRuntime(domain, mode: "ml")
        defer { runtime.stop() }
        try sendInitialModel(domain, port: port)
        let train = try Executables.run("cml-device", ["train", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "about", "white"])
        try AdmittedDomain.check(train)

        let metrics = try AdminHTTP.metrics(port: admin)
        #expect(metrics.value("cml_runtime_trainings_total") == 1)
        #expect((metrics.value("cml_runtime_training_seconds_total") ?? 0) > 0)
        #expect(metrics.value("cml_runtime_requests_total", ["type": "train", "outcome": "ok"]) == 1)
        #expect(metrics.value("cml_connections_open", ["server": "runtime"]) != nil)
        #expect(metrics.value("cml_fl_round") == nil)

        let status = try JSONDecoder().decode(StatusShape.self, from: Data(try AdminHTTP.get("/status", port: admin).body))
        #expect(status.mode == "ml" && status.model?.round == 1)
        #expect(status.rounds.map(\.rule) == ["upload", "train"] && status.rounds.last?.meanLoss != nil)
        #expect(status.openRound == nil)

        // The status commands: readable, and the JSON as served.
        let readable = try Executables.run("cml-runtime", ["status", "--admin", "127.0.0.1:\(admin)"])
        try AdmittedDomain.check(readable)
        #expect(readable.lines.first == "role: runtime")
        #expect(readable.lines.contains("mode: ml"))
        #expect(readable.lines.contains { $0.hasPrefix("  - ") && $0.contains("rule: train") })
        let json = try Executables.run("cml-runtime", ["status", "--admin", "127.0.0.1:\(admin)", "--json"])
        try AdmittedDomain.check(json)
        #expect(try JSONDecoder().decode(StatusShape.self, from: Data(json.standardOutput.utf8)).model?.id == status.model?.id)

        // Every endpoint, and the commands' output: no training word, no sealing secret in any form.
        let secret = try sealingSecret(domain)
        var served: [(String, [UInt8])] = []
        for path in ["/", "/status", "/metrics", "/healthz"] {
            let answer = try AdminHTTP.get(path, port: admin)
            #expect(answer.status == 200, "\(path)")
            served.append((path, answer.body))
        }
        served.append(("status", Array(readable.standardOutput.utf8)))
        served.append(("status --json", Array(json.standardOutput.utf8)))
        let forbidden = Self.trainingWords + [Hex.encode(secret), Hex.encode(secret).uppercased(), Data(secret).base64EncodedString(), Base64URL.encode(secret)]
        for (what, body) in served {
            let text = String(decoding: body, as: UTF8.self).lowercased()
            for word in forbidden { #expect(!text.contains(word.lowercased()), "\(what) holds \(word)") }
            #expect(body.firstRange(of: secret) == nil, "\(what) holds the secret's bytes")
        }
    }

    @Test func theEndpointRefusesWhatItDoesNotServeAndGoesOn() throws {
        let domain = try AdmittedDomain()
        let (runtime, _, admin, _) = try startRuntime(domain, mode: "ml")
        defer { runtime.stop() }
        #expect(try AdminHTTP.get("/healthz", port: admin).status == 200)
        #expect(try AdminHTTP.get("/nothing-here", port: admin).status == 404)
        let head = try AdminHTTP.exchange("HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: admin)
        #expect(head.status == 200 && head.body.isEmpty)
        for method in ["POST", "PUT", "DELETE"] {
            let answer = try AdminHTTP.exchange("\(method) /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", port: admin)
            #expect(answer.status == 405, "\(method)")
        }
        // 100 KB in the request line, then in one header: refused (an error status or the connection closed), never served.
        let long = String(repeating: "a", count: 100_000)
        let line = try AdminHTTP.exchange("GET /\(long) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", port: admin)
        #expect(line.status == nil || (400..<500).contains(line.status ?? 0), "\(line.status.map(String.init) ?? "closed")")
        let header = try AdminHTTP.exchange("GET /status HTTP/1.1\r\nHost: x\r\nX-Long: \(long)\r\nConnection: close\r\n\r\n", port: admin)
        #expect(header.status == nil || (400..<500).contains(header.status ?? 0), "\(header.status.map(String.init) ?? "closed")")
        // A TLS ClientHello's first bytes: not HTTP, so no page.
        let hello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03] + [UInt8](repeating: 0x42, count: 160)
        let tls = try AdminHTTP.exchange(bytes: hello, port: admin)
        #expect(tls.status == nil || (400..<500).contains(tls.status ?? 0))
        // Still serving, and the runtime too.
        #expect(try AdminHTTP.get("/healthz", port: admin).status == 200)
        #expect(runtime.isRunning)
    }

    @Test func theCertifierShowsItsAdmissionsAndRefusals() throws {
        let domain = try Domain()
        let certifier = try RunningProcess(
            "cml-certifier",
            ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        defer { certifier.stop() }
        let admin = try certifier.waitForPort { $0.hasPrefix("admin on http://127.0.0.1:") }
        let port = try certifier.waitForPort { $0.hasPrefix("listening on 127.0.0.1:") }
        #expect(try domain.attest("runtime", port: port).status == 0)
        let modified = "\(domain.folder)/cml-device-modified"
        try FileBytes.writeAtomically(
            try FileBytes.read(Executables.path("cml-device"), limit: Executables.maximumSize) + Array("tampered".utf8), to: modified, mode: 0o755)
        #expect(try domain.attest("device", port: port, program: modified).status == 1)

        let status = try JSONDecoder().decode(CertifierShape.self, from: Data(try AdminHTTP.get("/status", port: admin).body))
        #expect(status.role == "certifier")
        #expect(status.admissions.map(\.role) == ["runtime"] && status.admissions.first?.serial?.count == 8)
        #expect(status.refusals.map(\.code) == ["appraisal-failed"])
        #expect(status.refusals.first?.reasons.first?.contains("is not an accepted device measurement") == true)
        #expect(status.policy.roles.map(\.role) == ["device", "provider", "runtime"])

        let metrics = try AdminHTTP.metrics(port: admin)
        #expect(metrics.value("cml_certifier_admissions_total", ["role": "runtime"]) == 1)
        #expect(metrics.value("cml_certifier_refusals_total", ["role": "device", "code": "appraisal-failed"]) == 1)
        #expect(metrics.value("cml_certifier_nonces_issued_total") == 2)
        #expect(metrics.value("cml_certifier_attestation_duration_seconds_count") == 2)

        let readable = try Executables.run("cml-certifier", ["status", "--admin", "127.0.0.1:\(admin)"])
        try AdmittedDomain.check(readable)
        #expect(readable.lines.first == "role: certifier")
        #expect(readable.lines.contains("refusals (1):"))
        #expect(readable.standardOutput.contains("code: appraisal-failed"))
    }

    @Test func theStatusCommandsExitOneWhenNothingAnswers() throws {
        // A port that was free a moment ago: nothing listens there.
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.shutdown()
        for tool in ["cml-runtime", "cml-certifier"] {
            let result = try Executables.run(tool, ["status", "--admin", "127.0.0.1:\(port)"])
            #expect(result.status == 1, "\(tool)")
            #expect(result.standardOutput.isEmpty)
            #expect(result.standardError.contains("Error: no admin endpoint answers at 127.0.0.1:\(port): "), "\(result.standardError)")
        }
    }
}

/// The parts of the runtime's /status the tests read.
struct StatusShape: Decodable {
    struct Policy: Decodable {
        struct Role: Decodable { let role: String; let measurements: [String] }
        let name: String
        let sha256: String
        let roles: [Role]
    }
    struct Admission: Decodable { let serial: String; let expiresUnix: Double }
    struct Model: Decodable { let id: String; let round: UInt64 }
    struct OpenRound: Decodable { let round: UInt64; let updates: Int; let minUpdates: Int; let quorum: Int; let secondsToDeadline: Double }
    struct Round: Decodable {
        let id: String
        let round: UInt64
        let updates: Int
        let samples: UInt64
        let rule: String
        let milliseconds: Double
        let meanLoss: Double?
        let validationAccuracy: Double?
    }
    struct Peer: Decodable { let role: String; let id: String; let since: String }
    let role: String
    let version: String
    let policy: Policy
    let admission: Admission?
    let mode: String
    let model: Model?
    let openRound: OpenRound?
    let rounds: [Round]
    let peers: [Peer]
}

/// The parts of the certifier's /status the tests read.
struct CertifierShape: Decodable {
    struct Decision: Decodable { let role: String; let code: String?; let reasons: [String]; let serial: String? }
    let role: String
    let policy: StatusShape.Policy
    let admissions: [Decision]
    let refusals: [Decision]
}
