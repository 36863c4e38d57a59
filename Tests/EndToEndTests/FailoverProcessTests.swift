import Foundation
import Testing

/// Several addresses on the command line, with real processes: each client tries them in order and
/// moves on from a port where nothing listens. Ports 1 and 9 of the loopback serve nothing here.
@Suite(.serialized)
struct FailoverProcessTests {
    static let dead = "127.0.0.1:1"
    static let alsoDead = "127.0.0.1:9"

    @Test func rolesMoveOnFromADeadAddressToALiveOne() throws {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }
        // The runtime attests, anchors and watches revocations at "dead,live".
        let runtime = try RunningProcess(
            "cml-runtime",
            [
                "serve", "--state", domain.state("runtime"), "--listen", "127.0.0.1:0", "--mode", "ml",
                "--certifier", "\(Self.dead),\(domain.certifierAddress)", "--policy-cert", domain.domain.policyCertificate,
                "--attester", "sim", "--platform", domain.domain.platform,
            ])
        defer { runtime.stop() }
        let port = try runtime.waitForPort { $0.hasPrefix("serving ML mode on ") }
        let addresses = "\(Self.dead),127.0.0.1:\(port)"

        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        let send = try Executables.run("cml-provider", ["send", "--runtime", addresses, "--state", domain.state("provider"), model])
        try AdmittedDomain.check(send)
        #expect(send.lines.first?.hasSuffix("the runtime acknowledged it") == true)

        let predict = try Executables.run("cml-device", ["predict", "--runtime", addresses, "--state", domain.state("device"), "abo"])
        try AdmittedDomain.check(predict)
        #expect(predict.lines.count == 1)
        #expect(predict.standardError.contains("the runtime at \(Self.dead) failed (cannot connect to the runtime at \(Self.dead): "))
        #expect(predict.standardError.contains("moving on to 127.0.0.1:\(port) in "))
        #expect(predict.standardError.contains("from the runtime at 127.0.0.1:\(port)"))
    }

    @Test func whenEveryAddressIsDeadTheFailureNamesEach() throws {
        let domain = try AdmittedDomain()
        try domain.admit("device")
        let predict = try Executables.run(
            "cml-device", ["predict", "--runtime", "\(Self.dead),\(Self.alsoDead)", "--state", domain.state("device"), "abo"])
        #expect(predict.status == 1)
        #expect(predict.standardError.contains("no replica answered in 4 attempts at \(Self.dead), \(Self.alsoDead): "))
        #expect(predict.standardError.contains("cannot connect to the runtime at \(Self.dead): "))
        #expect(predict.standardError.contains("cannot connect to the runtime at \(Self.alsoDead): "))
    }

    @Test func anEmptyOrBadElementIsAUsageErrorNamingIt() throws {
        let cases: [(String, String)] = [
            ("127.0.0.1:8124,", "address 2 of 2 is empty"),
            ("127.0.0.1:8124,127.0.0.1:99999", "\"127.0.0.1:99999\" is not HOST:PORT"),
            (",127.0.0.1:8124", "address 1 of 2 is empty"),
        ]
        for (value, reason) in cases {
            let result = try Executables.run("cml-device", ["predict", "--runtime", value, "--state", "/nonexistent", "abo"])
            #expect(result.status == 64, "\(value)")
            #expect(result.standardError.contains(reason), "\(result.standardError)")
        }
    }
}
