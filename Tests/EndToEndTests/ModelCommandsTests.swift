import Foundation
import Testing
import WordModel

/// `cml-provider train`, `cml-provider inspect` and `cml-device predict`, run as built executables.
@Suite struct ModelCommandsTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    var words: String { Executables.repositoryRoot.appendingPathComponent("data/words-short.txt").path }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @Test func trainInspectPredict() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = path("initial.cmlm")
        let train = try Executables.run(
            "cml-provider", ["train", "--seed", "42", "--words", words, "--epochs", "100", "--out", model])
        #expect(train.status == 0, "\(train.standardError)")
        // Loss lines are progress, on standard error; standard output holds the results.
        let lossLines = train.standardError.split(separator: "\n").map(String.init).filter { $0.hasPrefix("epoch: ") }
        #expect(!train.lines.contains { $0.hasPrefix("epoch: ") })
        #expect(lossLines.map { $0.prefix(while: { $0 != "," }) } == (0..<10).map { "epoch: \($0 * 10)" })
        // Five words at batch size 1: ten losses per line, three decimals each.
        let losses = try #require(lossLines.first?.split(separator: " ").last).split(separator: ",")
        #expect(losses.count == 10 && losses.allSatisfy { $0.count == 5 && Float($0) != nil })
        #expect(train.lines.contains { $0.hasPrefix("trained on 5 words (10 samples), 100 epochs, batch size 1, rmsprop: final loss ") })

        let blob = try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
        let id = ModelBlob.id(of: blob)
        #expect(train.lines.last == "model \(id.prefix(8)) (\(blob.count) bytes, round 0, 10 samples) written to \(model)")
        // Only the blob is left: the temporary file it was written through was renamed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["initial.cmlm"])

        let inspect = try Executables.run("cml-provider", ["inspect", model])
        #expect(inspect.status == 0)
        #expect(inspect.lines.contains("  id            \(id)"))
        #expect(inspect.lines.contains("  round         0"))
        #expect(inspect.lines.contains("  samples       10"))
        #expect(inspect.lines.contains { $0.hasPrefix("    recurrent_kernel  28 x 28 float32 ") })

        let predict = try Executables.run("cml-device", ["predict", "--model", model, "abo", "THE", "whi"])
        #expect(predict.status == 0, "\(predict.standardError)")
        #expect(predict.lines.count == 3)
        #expect(predict.lines.first == "about")
        #expect(["there", "their"].contains(predict.lines.dropFirst().first))
        #expect(["which", "white"].contains(predict.lines.last))

        // Training on from that model makes the next generation.
        let next = path("next.cmlm")
        let again = try Executables.run(
            "cml-provider", ["train", "--from", model, "--words", words, "--epochs", "1", "--out", next])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try ModelFile.read(next).model.round == 1)
    }

    @Test func mistakesAreNamed() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = path("m.cmlm")
        try ModelFile.write(Model(seed: 1), to: model)

        let badPrefix = try Executables.run("cml-device", ["predict", "--model", model, "abo", "ab1"])
        #expect(badPrefix.status == 64)
        #expect(badPrefix.standardError.contains("prefix \"ab1\" has '1', which is not in the alphabet"))
        #expect(badPrefix.standardOutput.isEmpty)

        let missing = try Executables.run("cml-device", ["predict", "--model", path("none.cmlm"), "abo"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("\(path("none.cmlm")): no such file or directory"))

        // A blob cut short by 4 bytes inside the last tensor or key.
        let blob = try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
        try Data(blob.dropLast(4)).write(to: URL(fileURLWithPath: path("cut.cmlm")))
        let cut = try Executables.run("cml-provider", ["inspect", path("cut.cmlm")])
        #expect(cut.status == 1)
        #expect(cut.standardError.contains("\(path("cut.cmlm")): model blob is truncated"))

        let badWords = path("words.txt")
        try "which\nab-cd\nthe\n".write(toFile: badWords, atomically: true, encoding: .utf8)
        let train = try Executables.run(
            "cml-provider", ["train", "--words", badWords, "--epochs", "1", "--out", path("x.cmlm")])
        #expect(train.status == 1)
        #expect(train.standardError.contains("\(badWords):3: word \"the\" has 3 symbols, expected 5"))
        #expect(!FileManager.default.fileExists(atPath: path("x.cmlm")))

        let usage = try Executables.run("cml-provider", ["train", "--words", words, "--epochs", "0", "--out", path("x.cmlm")])
        #expect(usage.status == 64)
        #expect(usage.standardError.contains("--epochs must be at least 1, got 0"))
    }

    @Test func aValidationListWithABadWordIsRefusedBeforeAnythingIsSent() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = path("m.cmlm")
        try ModelFile.write(Model(seed: 1), to: model)
        let list = path("validation.txt")
        try "quilt\nab1cd\nzebra\n".write(toFile: list, atomically: true, encoding: .utf8)
        // No provider state and no runtime: the list is refused before either is needed.
        let send = try Executables.run(
            "cml-provider", ["send", "--runtime", "127.0.0.1:9", "--state", path("no-state"), "--validation", list, model])
        #expect(send.status == 1)
        #expect(send.standardError.contains("\(list):2: word \"ab1cd\" has '1', which is not in the alphabet"), "\(send.standardError)")
        #expect(send.standardOutput.isEmpty)

        try String(repeating: "quilt\n", count: ValidationSet.maximumWords + 1).write(toFile: list, atomically: true, encoding: .utf8)
        let long = try Executables.run(
            "cml-provider", ["send", "--runtime", "127.0.0.1:9", "--state", path("no-state"), "--validation", list, model])
        #expect(long.status == 1)
        #expect(long.standardError.contains("\(list): validation list of 10001 words is out of range, expected 1 to 10000 words"), "\(long.standardError)")
    }
}
