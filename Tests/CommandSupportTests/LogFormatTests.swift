import CommandSupport
import Foundation
import Logging
import Testing

@Suite struct LogFormatTests {
    /// 2026-12-05T16:47:36Z.
    let time = Date(timeIntervalSince1970: 1_796_489_256)

    @Test func textLinesStartWithTheUTCTimeAndTheRole() {
        let line = LogFormat.text.line(time: time, role: "runtime", level: .info, message: "stopped", metadata: ["peer.role": "device", "a": "1"])
        #expect(line == "2026-12-05T16:47:36Z [runtime] stopped a=1 peer.role=device")
    }

    @Test func textLinesNameTheLevelFromWarningsOn() {
        #expect(LogFormat.text.line(time: time, role: "certifier", level: .warning, message: "refused", metadata: [:])
            == "2026-12-05T16:47:36Z [certifier] warning: refused")
        #expect(LogFormat.text.line(time: time, role: "certifier", level: .notice, message: "reloaded", metadata: [:])
            == "2026-12-05T16:47:36Z [certifier] reloaded")
    }

    @Test func jsonLinesAreOneObjectWithTheFixedFieldsFirst() throws {
        let line = LogFormat.json.line(time: time, role: "runtime", level: .error, message: "say \"hi\"", metadata: ["peer.address": "127.0.0.1:1", "role": "device"])
        #expect(line == #"{"time": "2026-12-05T16:47:36Z", "role": "runtime", "level": "error", "message": "say \"hi\"", "peer.address": "127.0.0.1:1", "metadata.role": "device"}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "say \"hi\"" && object["metadata.role"] == "device" && object.count == 6)
    }

    @Test func controlCharactersAreEscapedInBothFormats() throws {
        let forged = "cml-device\n2026-12-05T16:47:36Z [runtime] forged\u{1B}[2J\u{9B}"
        let text = LogFormat.text.line(time: time, role: "runtime", level: .info, message: forged, metadata: [:])
        let json = LogFormat.json.line(time: time, role: "runtime", level: .info, message: forged, metadata: ["name": "\(forged)"])
        for line in [text, json] {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }, "\(line)")
        }
        #expect(text.hasSuffix(#"[runtime] cml-device\n2026-12-05T16:47:36Z [runtime] forged\u{1B}[2J\u{9B}"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(object["message"] == forged && object["name"] == forged)
    }

    @Test func verboseMeansDebugUnlessTheLevelSaysMore() throws {
        let options = try LoggingOptions.parse(["--log-level", "trace"])
        #expect(options.level(verbose: true) == .trace)
        let quiet = try LoggingOptions.parse(["--log-level", "warning"])
        #expect(quiet.level() == .warning && quiet.level(verbose: true) == .debug)
        #expect(try LoggingOptions.parse([]).level() == .info && (try LoggingOptions.parse([]).logFormat) == .text)
    }
}
