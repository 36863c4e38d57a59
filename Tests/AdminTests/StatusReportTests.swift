import Testing

@testable import Admin

/// The `status` command's readable form and its parsing of addresses and HTTP answers, without a server.
struct StatusReportTests {
    @Test func theReadableFormPutsTheRoleFirstAndEachListElementOnOneLine() throws {
        let json = #"{"rounds":[{"id":"ab12cd34","round":2,"meanLoss":0.1234567},{"id":"ef56ab78","round":3,"meanLoss":null}],"role":"runtime","mode":"fl","model":{"round":3,"id":"ef56ab78"},"peers":[],"flag":true,"zzz":"last"}"#
        let text = try StatusReport.text(of: Array(json.utf8))
        #expect(text.split(separator: "\n").map(String.init) == [
            "role: runtime", "mode: fl", "model:", "  id: ef56ab78", "  round: 3", "rounds (2):",
            "  - id: ab12cd34, meanLoss: 0.1235, round: 2", "  - id: ef56ab78, meanLoss: none, round: 3", "peers (0): none", "flag: true",
            "zzz: last",
        ])
    }

    @Test func controlCharactersFromPeersAreEscaped() throws {
        let text = try StatusReport.text(of: Array(#"{"role":"certifier","refusals":[{"reasons":["forged\nline"]}]}"#.utf8))
        #expect(text.contains(#"reasons: forged\nline"#))
        #expect(!text.contains("forged\nline"))
    }

    @Test func notAnObjectIsAnError() {
        #expect(throws: AdminError.self) { try StatusReport.text(of: Array("[1, 2]".utf8)) }
        #expect(throws: AdminError.self) { try StatusReport.text(of: Array("<html>".utf8)) }
    }

    @Test func aBarePortIsLoopback() {
        #expect(AdminAddress(argument: "9124")?.description == "127.0.0.1:9124")
        #expect(AdminAddress(argument: "0.0.0.0:0")?.description == "0.0.0.0:0")
        #expect(AdminAddress(argument: "[::1]:9124")?.host == "::1")
        #expect(AdminAddress(argument: "host") == nil)
        #expect(AdminAddress(argument: "70000") == nil)
    }

    @Test func httpAnswersAreReadPlainOrChunkedAndOtherStatusesNamed() throws {
        let plain = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
        #expect(try HTTPResponseText.body(of: plain, from: "h:1") == Array("ok".utf8))
        let chunked = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8)
        #expect(try HTTPResponseText.body(of: chunked, from: "h:1") == Array("abcde".utf8))
        let missing = #expect(throws: AdminError.self) {
            try HTTPResponseText.body(of: Array("HTTP/1.1 404 Not Found\r\n\r\n".utf8), from: "h:1")
        }
        #expect(missing?.message == "the admin endpoint at h:1 answered HTTP/1.1 404 Not Found")
        let garbage = #expect(throws: AdminError.self) { try HTTPResponseText.body(of: [0x16, 0x03, 0x01], from: "h:1") }
        #expect(garbage?.message == "the answer from h:1 is not HTTP (3 bytes without the end of a header)")
        #expect(throws: AdminError.self) {
            try HTTPResponseText.body(of: Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8), from: "h:1")
        }
    }
}
