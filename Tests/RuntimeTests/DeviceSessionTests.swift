import Channel
import Device
import Provider
import Runtime
import Testing

/// A console that types scripted lines and keeps the transcript as a terminal would show it.
private final class ScriptedConsole: SessionConsole {
    private var input: [String]
    private(set) var transcript: [String] = []
    /// Runs before each line is typed, with that line.
    var beforeTyping: (String) -> Void = { _ in }

    init(_ input: [String]) {
        self.input = input
    }

    func read(prompt: String) -> String? {
        guard !input.isEmpty else { return nil }
        let line = input.removeFirst()
        beforeTyping(line)
        transcript.append(prompt + line)
        return line
    }

    func write(_ line: String) {
        transcript.append(line)
    }
}

@Suite struct DeviceSessionTests {
    @Test func theInteractiveSessionOfTheOriginal() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: "provider").putModel(initialModel.blob)
        let device = try Device(runtime: try runtime.client(role: "device"), policy: runtime.policy)
        let console = ScriptedConsole(["ab1", "abo", "abou", "about", "abo", "", "ABO"])
        try DeviceSession(device: device, console: console).run()

        let trained = try #require(runtime.server.store.current)
        let first = try #require(console.transcript.first { $0.hasPrefix("Prediction: ") })
        #expect(console.transcript == [
            "downloaded model \(initialModel.shortID) (\(initialModel.blob.count) bytes, round 0) from the runtime at 127.0.0.1:\(runtime.server.port)",
            "Type characters: ab1",
            "prefix \"ab1\" has '1', which is not in the alphabet \"abcdefghijklmnopqrstuvwxyz- \" (a-z, '-' and space; upper case is folded)",
            "Type characters: abo",
            first,
            "Type correct answer: abou",
            "word \"abou\" has 4 symbols, expected 5 (or nothing, to skip)",
            "Type correct answer: about",
            "received model \(trained.shortID) (trained 100 epochs on 1 word, loss 0.000)",
            "Type characters: abo",
            "Prediction: about",
            "Type correct answer: ",
            "no answer: nothing sent to the runtime",
            "Type characters: ABO",
            "Prediction: about",
        ])
    }

    @Test func aRuntimeWithoutModelEndsTheSessionBeforeItStarts() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        let device = try Device(runtime: try runtime.client(role: "device"), policy: runtime.policy)
        let console = ScriptedConsole(["abo"])
        let error = #expect(throws: ChannelError.self) { try DeviceSession(device: device, console: console).run() }
        #expect(error?.code == .noModel)
        #expect(console.transcript.isEmpty)
    }

    @Test func whenTheRuntimeIsGoneTheDeviceSaysSoAndKeepsItsModel() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: "provider").putModel(initialModel.blob)
        let device = try Device(runtime: try runtime.client(role: "device"), policy: runtime.policy)
        let console = ScriptedConsole(["abo", "about", "abo"])
        console.beforeTyping = { line in
            if line == "about" { runtime.stop() }
        }
        try DeviceSession(device: device, console: console).run()
        let transcript = console.transcript
        #expect(transcript.count == 7)
        #expect(transcript[4].hasPrefix("the runtime did not train on \"about\": "))
        #expect(transcript[4].hasSuffix("; predictions still use model \(initialModel.shortID)"))
        #expect(transcript[6] == transcript[2])
        #expect(device.model?.id == initialModel.id)
    }
}
