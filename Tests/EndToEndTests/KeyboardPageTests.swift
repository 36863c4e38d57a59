import Foundation
import OpenSSLKit
import Policy
import Testing
import WordModel

/// `cml-device console` as a real process in front of a real runtime: its JSON API, what it refuses,
/// and (in BrowserTests) the page in headless chromium.
@Suite(.serialized)
struct KeyboardPageTests {
    @Test func thePageAndItsStateAfterTheDownload() throws {
        let (domain, runtime, port, initial) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port)
        defer { console.stop() }

        let html = try page.get("/")
        #expect(html.status == 200)
        #expect(html.headers["content-type"] == "text/html; charset=utf-8")
        for id in ["prefix", "prediction", "word", "train", "model-id", "round", "refused", "status"] {
            #expect(html.body.contains("id=\"\(id)\""), "no element \(id)")
        }
        // Self-contained: nothing loaded from elsewhere, and the browser is told to load nothing else.
        #expect(!html.body.contains("src=\"http") && !html.body.contains("href=\"http"))
        #expect(html.headers["content-security-policy"]?.hasPrefix("default-src 'none'") == true)

        let state = try KeyboardConsole.waitForModel(page)
        #expect(state["shortID"] as? String == ModelBlob.shortID(of: initial))
        #expect(state["round"] as? Int == 0)
        #expect(state["admitted"] as? Bool == true)
        #expect(state["refused"] == nil)
        #expect(state["mode"] as? String == "ml")
        #expect(state["runtime"] as? String == "127.0.0.1:\(port)")
        #expect(try page.get("/nothing").status == 404)
    }

    @Test func predictThenTrainThenTheNewModelPredictsTheWord() throws {
        let (domain, runtime, port, initial) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port)
        defer { console.stop() }
        _ = try KeyboardConsole.waitForModel(page)

        let before = try page.post("/predict", #"{"prefix": "abo"}"#)
        #expect(before.status == 200)
        #expect(before.json["prefix"] as? String == "abo")
        let word = try #require(before.json["word"] as? String)
        #expect(word.count == 5 && word.hasPrefix("abo"))

        let trained = try page.post("/train", #"{"word": "about"}"#)
        #expect(trained.status == 200, "\(trained.body)")
        let newID = try #require(trained.json["shortID"] as? String)
        #expect(newID != ModelBlob.shortID(of: initial))
        #expect(trained.json["round"] as? Int == 1)
        #expect(trained.json["busy"] as? Bool == false)
        #expect((trained.json["status"] as? String)?.hasPrefix("received model \(newID) (trained 100 epochs on 1 word") == true)
        #expect(try page.get("/state").json["shortID"] as? String == newID)

        let after = try page.post("/predict", #"{"prefix": "abo"}"#)
        #expect(after.json["word"] as? String == "about")
        // The runtime trained on the word, as for `cml-device run`.
        _ = try runtime.waitForLine { $0.contains("---- training on 1 word from device ") }
    }

    @Test func badInputIsA400WithAMessageAndTheServerGoesOn() throws {
        let (domain, runtime, port, _) = try MLProcessTests().servingDomain()
        defer { runtime.stop() }
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port)
        defer { console.stop() }
        _ = try KeyboardConsole.waitForModel(page)

        let cases: [(String, String, String?, String)] = [
            ("/predict", "abo", "application/json", #"the body is not JSON of the form {"prefix": "abo"}"#),
            ("/predict", #"{"word": "about"}"#, "application/json", #"the body is not JSON of the form {"prefix": "abo"}"#),
            ("/predict", #"{"prefix": "ab"}"#, "application/json", #"prefix "ab" has 2 symbols, expected 3"#),
            ("/predict", #"{"prefix": "ab1"}"#, "application/json", #"prefix "ab1" has '1', which is not in the alphabet"#),
            ("/predict", #"{"prefix": "abo"}"#, nil, "send the body as JSON (Content-Type: application/json)"),
            ("/predict", #"{"prefix": "abo"}"#, "text/plain", "send the body as JSON (Content-Type: application/json)"),
            ("/train", #"{"word": "abou"}"#, "application/json", #"word "abou" has 4 symbols, expected 5"#),
            ("/train", #"{"word": 5}"#, "application/json", #"the body is not JSON of the form {"word": "about"}"#),
            ("/predict", String(repeating: " ", count: 100_000) + #"{"prefix": "abo"}"#, "application/json", "the request body is larger than 4096 bytes"),
        ]
        for (path, body, type, message) in cases {
            let answer = try page.post(path, body, contentType: type)
            #expect(answer.status == 400, "\(path) \(body.prefix(40)): \(answer.status) \(answer.body)")
            let error = answer.json["error"] as? String ?? ""
            #expect(error.hasPrefix(message), "\(path) \(body.prefix(40)): \(error)")
        }
        // Another site's page may not make this device train.
        let foreign = try page.post("/train", #"{"word": "about"}"#, headers: ["Origin: http://elsewhere.example"])
        #expect(foreign.status == 403)
        #expect((foreign.json["error"] as? String)?.hasPrefix("a request from http://elsewhere.example is refused") == true)
        // Nothing was trained, and the server still answers.
        let state = try page.get("/state").json
        #expect(state["round"] as? Int == 0)
        #expect(try page.post("/predict", #"{"prefix": "abo"}"#).status == 200)
        #expect(console.isRunning)
    }

    @Test func aRuntimeWithoutAdmissionIsRefusedOnThePageWithTheCLIsReason() throws {
        let (domain, impostor, port, console, page) = try KeyboardConsole.startAgainstImpostor()
        defer { console.stop(); impostor.stop() }

        let reason = "refused runtime at 127.0.0.1:\(port): its certificate is not issued by this domain's policy key (self-signed \"cml-runtime\")"
        let state = try KeyboardConsole.waitForState(page) { $0["refused"] != nil }
        #expect(state["refused"] as? String == reason)
        #expect(state["admitted"] as? Bool == false)
        #expect(state["shortID"] == nil)
        // The same words as `cml-device predict` says (and tools/demo tamper checks).
        let cli = try Executables.run("cml-device", ["predict", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "abo"])
        #expect(cli.status == 1)
        #expect(cli.standardError.contains(reason), "\(cli.standardError)")

        let predict = try page.post("/predict", #"{"prefix": "abo"}"#)
        #expect(predict.status == 503)
        #expect(predict.json["error"] as? String == reason)
        #expect(try page.post("/train", #"{"word": "about"}"#).status == 503)
    }

    @Test func inFLModeTheDeviceTrainsAndTakesPartInTheRound() throws {
        let (domain, runtime, port, initial) = try FLProcessTests().servingDomain(minUpdates: 1)
        defer { runtime.stop() }
        try domain.admit("device")
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port, mode: "fl")
        defer { console.stop() }
        let state = try KeyboardConsole.waitForModel(page)
        #expect(state["shortID"] as? String == ModelBlob.shortID(of: initial))
        #expect(state["mode"] as? String == "fl")

        let trained = try page.post("/train", #"{"word": "about"}"#)
        #expect(trained.status == 200, "\(trained.body)")
        #expect(trained.json["round"] as? Int == 1)
        #expect(trained.json["busy"] as? Bool == false)
        let global = try #require(trained.json["shortID"] as? String)
        #expect((trained.json["status"] as? String) == "received global model \(global) of round 1 (2 samples)")
        #expect(try page.post("/predict", #"{"prefix": "abo"}"#).json["word"] as? String == "about")
    }

    @Test func aPageInMLModeOnAnFLRuntimeSaysWhichModeToUse() throws {
        let (domain, runtime, port, _) = try FLProcessTests().servingDomain(minUpdates: 1)
        defer { runtime.stop() }
        try domain.admit("device")
        let (console, page) = try KeyboardConsole.start(domain, runtimePort: port)
        defer { console.stop() }
        let state = try KeyboardConsole.waitForState(page) { $0["problem"] != nil }
        #expect(state["problem"] as? String
            == "the runtime at 127.0.0.1:\(port) serves FL mode; this page trains in ML mode (start cml-device console --mode fl)")
        #expect(state["refused"] == nil)
        #expect(try page.post("/predict", #"{"prefix": "abo"}"#).status == 503)
    }
}

/// Starting `cml-device console` and waiting for what its page shows.
enum KeyboardConsole {
    /// Starts the console of `domain`'s device against the runtime on `runtimePort`, on a port the
    /// system picks; returns it and a client of its page.
    static func start(_ domain: AdmittedDomain, runtimePort: UInt16, mode: String = "ml") throws -> (RunningProcess, PageClient) {
        let console = try RunningProcess(
            "cml-device",
            ["console", "--runtime", "127.0.0.1:\(runtimePort)", "--state", domain.state("device"), "--listen", "127.0.0.1:0", "--mode", mode])
        let port = try console.waitForPort { $0.hasPrefix("console on http://127.0.0.1:") }
        return (console, PageClient(port: port))
    }

    /// Waits for `/state` to satisfy `condition` (the device connects in the background) and returns it.
    static func waitForState(_ page: PageClient, timeout: Duration = .seconds(120), _ condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var state = [String: Any]()
        while ContinuousClock.now < deadline {
            state = try page.get("/state").json
            if condition(state) { return state }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ProcessFailure("the page's state did not change as awaited: \(state)")
    }

    /// Waits until the device has downloaded a model.
    static func waitForModel(_ page: PageClient) throws -> [String: Any] {
        try waitForState(page) { $0["shortID"] != nil || $0["refused"] != nil || $0["problem"] != nil }
    }

    /// A domain with an admitted device whose console is started against an `impostor` on `port`.
    static func startAgainstImpostor() throws -> (
        domain: AdmittedDomain, impostor: RunningProcess, port: UInt16, console: RunningProcess, page: PageClient
    ) {
        let domain = try AdmittedDomain()
        try domain.admit("device")
        let (impostor, port) = try impostor(domain)
        let (console, page) = try start(domain, runtimePort: port)
        return (domain, impostor, port, console, page)
    }

    /// A runtime that never attested, as tools/demo tamper plays it: `openssl s_server` with a certificate
    /// of its own making that names the runtime role. Returns it and its port.
    static func impostor(_ domain: AdmittedDomain) throws -> (RunningProcess, UInt16) {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(subjectCommonName: "cml-runtime", subjectPublicKey: key.publicKey, notAfter: Date() + 3600)
        builder.uriSubjectAlternativeNames = [AdmissionCertificate.roleURI(.runtime)]
        try builder.selfSigned(with: key).pem.write(toFile: domain.path("impostor.crt"), atomically: true, encoding: .utf8)
        try key.pkcs8PEM.write(toFile: domain.path("impostor.key"), atomically: true, encoding: .utf8)
        let server = try RunningProcess(
            program: "/usr/bin/openssl", name: "openssl s_server",
            ["s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-rev", "-cert", domain.path("impostor.crt"), "-key", domain.path("impostor.key")])
        return (server, try server.waitForPort { $0.hasPrefix("ACCEPT ") })
    }
}
