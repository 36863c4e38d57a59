import Admission
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Testing

/// Revocation (issue 12, item 4) with real processes: `cml-certifier revoke`, the certifier serving the
/// signed list, and the runtime refusing a revoked device and closing its open connection.
@Suite(.serialized)
struct RevocationProcessTests {
    @Test func aRevokedDeviceIsRefusedWithinThePollIntervalAndItsConnectionClosed() throws {
        let domain = try AdmittedDomain {
            $0.replacingOccurrences(
                of: "\"admission-lifetime-seconds\": 3600,", with: "\"admission-lifetime-seconds\": 3600,\n  \"revocation-poll-seconds\": 1,")
        }
        for role in ["provider", "device"] { try domain.admit(role) }
        let (runtime, port) = try domain.startRuntime()
        defer { runtime.stop() }
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "1", "--out", model]))
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
        let credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        let open = RuntimeClient(host: "127.0.0.1", port: port, context: try credentials.clientContext())
        defer { open.close() }
        _ = try open.getModel()
        let serial = credentials.certificate.serialNumberHex

        let revoke = try Executables.run(
            "cml-certifier", ["revoke", "--state", domain.domain.state, "--serial", serial, "--reason", "lost device"])
        try AdmittedDomain.check(revoke)
        #expect(revoke.standardOutput.hasPrefix("revoked \(serial.lowercased()) (device, valid until "), "\(revoke.standardOutput)")
        // The certifier reads its list within 5 s, the runtime polls every second.
        let closed = try runtime.waitForLine(timeout: .seconds(15)) { $0.contains("connection of revoked peers") }
        #expect(closed.contains("closed 1 connection of revoked peers (revocation list version 1)"), "\(closed)")
        #expect(throws: ChannelError.self) { try open.getModel() }
        let fresh = RuntimeClient(host: "127.0.0.1", port: port, context: try credentials.clientContext())
        defer { fresh.close() }
        let refused = #expect(throws: ChannelError.self) { try fresh.getModel() }
        #expect(refused?.code == .notAuthorized)
        #expect(refused?.message.contains("is revoked in this domain; attest again") == true, "\(String(describing: refused))")
        let audit = try String(contentsOfFile: domain.domain.auditLog, encoding: .utf8)
        #expect(audit.contains("\"event\":\"revocation\""), "\(audit)")
        #expect(audit.contains("lost device"))
        // A second revocation of the same serial changes nothing.
        let again = try Executables.run("cml-certifier", ["revoke", "--state", domain.domain.state, "--serial", serial])
        #expect(again.status == 0)
        #expect(again.standardOutput.contains("was revoked already; revocation list version 1"), "\(again.standardOutput)")
    }

    @Test func revokingAnUnknownSerialFailsSayingSo() throws {
        let domain = try AdmittedDomain()
        try domain.admit("device")
        let result = try Executables.run("cml-certifier", ["revoke", "--state", domain.domain.state, "--serial", "00ff00ff"])
        #expect(result.status == 1)
        #expect(result.standardError.contains(
            "serial 00ff00ff is not an admission this certifier issued (its audit log \(domain.domain.auditLog) and the rotated files record none); nothing was revoked"),
            "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "\(domain.domain.state)/revocations.json"))
    }
}

/// Devices check the runtime against the revocation list they fetched.
@Suite(.serialized)
struct DeviceRevocationProcessTests {
    @Test func aDeviceGivenTheCertifierRefusesARevokedRuntime() throws {
        let domain = try AdmittedDomain {
            $0.replacingOccurrences(
                of: "\"admission-lifetime-seconds\": 3600,", with: "\"admission-lifetime-seconds\": 3600,\n  \"revocation-poll-seconds\": 1,")
        }
        try domain.admit("device")
        let (runtime, port) = try domain.startRuntime()
        defer { runtime.stop() }
        // The runtime's admission is in its memory only: its serial is in its log.
        let admitted = try runtime.waitForLine { $0.contains("admitted as runtime (") }
        let serial = try #require(admitted.range(of: "certificate serial ").map { String(admitted[$0.upperBound...].prefix(while: \.isHexDigit)) })
        try AdmittedDomain.check(try Executables.run("cml-certifier", ["revoke", "--state", domain.domain.state, "--serial", serial]))
        let arguments = [
            "run", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "--certifier", domain.certifierAddress,
            "--attester", "sim", "--platform", domain.domain.platform,
        ]
        // The serving certifier picks the list up within 10 s; each run fetches it at start.
        let deadline = ContinuousClock.now + .seconds(15)
        var last: Executables.Result?
        while ContinuousClock.now < deadline {
            let result = try Executables.run("cml-device", arguments, input: "")
            last = result
            if result.standardError.contains("is revoked in this domain") { break }
        }
        let refused = try #require(last)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains(
            "refused runtime at 127.0.0.1:\(port): its admission certificate (serial \(serial.prefix(8))...) is revoked in this domain"),
            "\(refused.standardError)")
    }
}
