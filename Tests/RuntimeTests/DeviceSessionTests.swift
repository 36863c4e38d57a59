import Channel
import Device
import Protocol
import Provider
import Runtime
import TestSupport
import Testing
import WordModel

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
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let console = ScriptedConsole(["ab1", "abo", "abou", "about", "abo", "", "ABO"])
        try DeviceSession(device: device, console: console).run()

        let trained = try #require(runtime.server.store.current)
        let first = try #require(console.transcript.first { $0.hasPrefix("Prediction: ") })
        #expect(console.transcript == [
            "downloaded model \(initialModel.shortID) (\(initialModel.size) bytes, round 0) from the runtime at 127.0.0.1:\(runtime.server.port)",
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
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let console = ScriptedConsole(["abo"])
        let error = #expect(throws: ChannelError.self) { try DeviceSession(device: device, console: console).run() }
        #expect(error?.code == .noModel)
        #expect(console.transcript.isEmpty)
    }

    @Test func whenTheRuntimeIsGoneTheDeviceSaysSoAndKeepsItsModel() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
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
        #expect(device.model?.blob.id == initialModel.id)
    }

    /// The steps the keyboard page drives one request at a time, and what each says when it cannot.
    @Test func theSessionStepByStep() throws {
        let runtime = try RuntimeFixture()
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let console = ScriptedConsole([])
        let session = DeviceSession(device: device, console: console)
        #expect(throws: ChannelError(.noModel, "the device has no model yet: it downloads one from the runtime first")) {
            try session.predict("abo")
        }
        try session.start()
        #expect(throws: ChannelError(.badRequest, "prefix \"ab\" has 2 symbols, expected 3")) { try DeviceSession.checkPrefix("ab") }
        #expect(throws: ChannelError(.badRequest, "word \"abou\" has 4 symbols, expected 5")) { try DeviceSession.checkAnswer("abou") }
        guard case .newModel(let trained) = session.train("about") else {
            Issue.record("no new model: \(console.transcript)")
            return
        }
        #expect(try session.predict("abo") == "about")
        #expect(console.transcript.last?.hasPrefix("received model \(trained.shortID) ") == true)

        // A runtime the device refuses on its next connection (as a revoked one): the outcome says so.
        device.runtime.refusal = { _ in "its admission certificate is revoked in this domain" }
        device.runtime.close()
        guard case .unchanged(let reason, let error) = session.train("white") else {
            Issue.record("trained on a refused runtime: \(console.transcript)")
            return
        }
        #expect(error.kind == .refused)
        #expect(error.message == "refused runtime at 127.0.0.1:\(runtime.server.port): its admission certificate is revoked in this domain")
        #expect(reason == console.transcript.last)
        #expect(device.model?.blob.id == trained.blob.id)
    }

    @Test func theFLSessionTrainsHereUploadsAndPredictsWithTheGlobalModel() throws {
        let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(minUpdates: 1), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let console = ScriptedConsole(["abo", "about", "abo"])
        try DeviceSession(device: device, console: console, mode: .fl(epochs: 30)).run()

        let global = try runtime.client(role: .device).getModel()
        let transcript = console.transcript
        try #require(transcript.count == 12, "\(transcript)")
        #expect(transcript[3] == "Type correct answer: about")
        #expect(transcript[4..<7].map { $0.prefix { $0 != "," } } == ["epoch: 0", "epoch: 10", "epoch: 20"])
        #expect(transcript[7].hasPrefix("sent update ") && transcript[7].hasSuffix(" for round 0 (2 samples); the runtime acknowledged it"))
        #expect(Array(transcript[8...]) == [
            "waiting for the global model of round 1 ...",
            "received global model \(global.blob.id.prefix(8)) of round 1 (2 samples)",
            "Type characters: abo",
            "Prediction: about",
        ])
        #expect(device.round == 1 && device.model?.blob.id == global.blob.id)
    }

    @Test func anFLUpdateForARoundThatClosedMeanwhileIsRefusedAndTheDeviceSaysSo() throws {
        let runtime = try RuntimeFixture(policy: TestDomain.flPolicy(minUpdates: 1), configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let device = try Device(runtime: try runtime.client(role: .device), policy: runtime.policy)
        let console = ScriptedConsole(["abo", "about"])
        // Another device's update closes round 0 while this one's person types the answer.
        console.beforeTyping = { line in
            guard line == "about" else { return }
            _ = try? runtime.client(role: .device).update(round: 0, model: initialModel, samples: 2)
        }
        try DeviceSession(device: device, console: console, mode: .fl(epochs: 5)).run()
        let last = try #require(console.transcript.last)
        #expect(last.hasPrefix("the round did not complete for \"about\": wrong-round: an update for round 0 is refused: that round has closed; round 1 is open"))
        #expect(last.hasSuffix("; predictions still use model \(initialModel.shortID)"))
    }
}
