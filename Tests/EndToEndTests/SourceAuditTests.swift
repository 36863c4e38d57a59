import Foundation
import Testing

/// Unchecked arithmetic on values that input can reach, found by reading Sources/ and tools/: each hit
/// must be on the audited list below, with the reason it cannot trap. A new `round + 1` or a Double
/// converted to an integer fails this test until someone checks it and says why here.
@Suite struct SourceAuditTests {
    /// What is flagged: a round counted on, a sum of sample counts, a Double of seconds converted to an integer.
    static let patterns = [#"round \+ 1"#, #"samples \+"#, #"\bU?Int(64|32)?\([^)]*([Ss]econds|\* ?1000|\* ?1e3)"#]

    /// Audited lines: (file, text on the line, why it cannot trap).
    static let audited: [(file: String, text: String, reason: String)] = [
        ("Sources/WordModel/ModelBlob.swift", "return round + 1", "guarded by round < maximumRound"),
        ("Sources/Runtime/Federation.swift", "await the global model of round \\(update.round + 1)",
         "update.round was just reserved as the open round, which only ever grows by one per closed round"),
        ("Sources/Runtime/Federation.swift", "round: round + 1", "the open round of this runtime, counted from 0, one per closed round"),
        ("Sources/Runtime/Federation.swift", "of round \\(round + 1)", "as above"),
        ("Sources/Runtime/Federation.swift", "scheduleDeadline(of: round + 1", "as above"),
        ("Sources/Runtime/RoundState.swift", "await the global model of round \\(round + 1)", "the open round, as above"),
        ("Sources/Runtime/RoundState.swift", "round: round + 1", "the closing round: the open round of the runtime, or the verified row of the shared store, as below"),
        ("Sources/Runtime/SharedFederation.swift", "round + 1",
         "a round of a verified federation row, whose round is sealed by a replica (counting from 0, one per close) and checked against its column; an update's round equals it"),
        ("Sources/Runtime/SharedFederation.swift", "timeIntervalSince1970 * 1000", "the local clock, not input"),
        ("Sources/Device/DeviceSession.swift", "update.round + 1", "the device's round, checked by ModelBlob.checkRound when adopted"),
        ("Sources/cml-device/Federate.swift", "round: round + 1", "the device's round, checked by ModelBlob.checkRound when adopted"),
        ("Sources/cml-device/Federate.swift", "downloading round \\(round + 1)'s", "as above"),
        ("Sources/cml-device/Federate.swift", "waiting for round \\(round + 1)'s", "as above"),
        ("tools/cml-bench/FLSuite.swift", "round + 1", "the bench's own loop counter"),
        ("tools/cml-bench/ReplicatedFederation.swift", "round + 1", "the bench's own loop counter"),
        ("Sources/Runtime/FederationRules.swift", "Int64((settings.roundDeadlineSeconds * 1000)", "validate() bounds it to 30 days"),
        ("Sources/Runtime/FederationFiles.swift", "timeIntervalSince1970 * 1000", "the local clock, not input"),
        ("Sources/Policy/FederatedSettings.swift", "Int(Self.maximumRoundDeadlineSeconds)", "a constant"),
        ("tools/cml-bench/TokenSuite.swift", "Int(1 / decodeSeconds)", "a measured duration of the bench's own work"),
        ("Sources/Channel/TCPConnector.swift", "Int32(clamping:", "a connect timeout set in code, clamped"),
        ("Sources/Channel/SocketDescriptor.swift", "tv_sec: Int(seconds)", "Int64 seconds of a Duration into a 64-bit Int"),
        ("Sources/Runtime/FederationRules.swift", "\\(Int(seconds))", "the deadline, which validate() bounds to 30 days"),
        ("Sources/Runtime/FairScheduler.swift", ".nanoseconds(Int(seconds)", "a stop timeout set in code"),
        ("Sources/Channel/ErrorMessage.swift", "Int(min($0, UInt64(Self.maximumRetryAfterSeconds)))", "capped to an hour before the conversion"),
        ("Sources/Channel/ErrorMessage.swift", ".unsigned(UInt64(retryAfterSeconds))", "init clamps it to 0 ... 3600"),
        ("Sources/Runtime/TrainingQueue.swift", "Int(min(Double(ErrorMessage.maximumRetryAfterSeconds)", "capped to an hour before the conversion; a measured time, not input"),
        ("Sources/CommandSupport/DurationText.swift", "Int((seconds * 1e6).rounded())", "below 1 ms in this case"),
        ("Sources/CommandSupport/DurationText.swift", "Int(seconds) / 60", "an elapsed time measured on the local clock"),
        ("tools/cml-bench/Measure.swift", "Int((settings.seconds", "the bench's own timing"),
    ]

    @Test func everyUncheckedCounterOnInputIsAudited() throws {
        let root = Executables.repositoryRoot
        var unaudited: [String] = []
        for folder in ["Sources", "tools"] {
            let enumerator = try #require(FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path))
            for case let relative as String in enumerator where relative.hasSuffix(".swift") {
                let file = "\(folder)/\(relative)"
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") { continue }
                    guard Self.patterns.contains(where: { code.range(of: $0, options: .regularExpression) != nil }) else { continue }
                    if Self.audited.contains(where: { $0.file == file && code.contains($0.text) }) { continue }
                    unaudited.append("\(file):\(number + 1): \(code)")
                }
            }
        }
        #expect(unaudited.isEmpty, "unchecked arithmetic on input; check it, or add it to the audited list with the reason:\n\(unaudited.joined(separator: "\n"))")
    }

    @Test func thePatternsFindWhatTheyAreFor() {
        for line in ["x = current.model.round + 1", "deadline = Int64(seconds * 1000)", "total = samples + other"] {
            #expect(Self.patterns.contains { line.range(of: $0, options: .regularExpression) != nil }, "\(line)")
        }
    }
}
