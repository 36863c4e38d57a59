import Foundation
import Testing
import WordModel

@Suite struct TrainingSetTests {
    @Test func eachWordGivesTwoSamplesInOrder() throws {
        let set = try TrainingSet(words: ["about", "WHICH"])
        #expect(set.samples.map(\.text) == ["abo -> u", "bou -> t", "whi -> c", "hic -> h"])
    }

    @Test func wordFileSkipsBlankLinesAndCarriageReturns() throws {
        let file = try TemporaryFile(contents: "which\r\n\n  \nthere\n\t\nabout")
        #expect(try TrainingSet.words(inFile: file.path) == ["which", "there", "about"])
        #expect(try TrainingSet(wordFile: file.path).count == 6)
    }

    @Test func badWordNamesFileAndLine() throws {
        let file = try TemporaryFile(contents: "which\n\nth3re\n")
        #expect(throws: WordModelError.badLine(path: file.path, line: 3, .symbolNotInAlphabet("3", in: "th3re", kind: .word))) {
            try TrainingSet(wordFile: file.path)
        }
        let short = try TemporaryFile(contents: "which\nabc\n")
        let error = WordModelError.badLine(path: short.path, line: 2, .wrongLength("abc", kind: .word))
        #expect(throws: error) { try TrainingSet(wordFile: short.path) }
        #expect(error.description == "\(short.path):2: word \"abc\" has 3 symbols, expected 5")
    }

    @Test func unreadableOrEmptyFilesAreErrors() throws {
        #expect(throws: WordModelError.fileFailed(path: "/nonexistent/words.txt", reason: "no such file or directory")) {
            try TrainingSet(wordFile: "/nonexistent/words.txt")
        }
        #expect(throws: WordModelError.fileFailed(path: "/tmp", reason: "is a directory, not a regular file (expected a word list)")) { try TrainingSet(wordFile: "/tmp") }
        let empty = try TemporaryFile(contents: "\n \n")
        #expect(throws: WordModelError.noSamples(source: empty.path)) { try TrainingSet(wordFile: empty.path) }
        let binary = try TemporaryFile(bytes: Array("which\n".utf8) + [0x61, 0xff, 0x62, 0x63, 0x64])
        #expect(throws: WordModelError.badLine(path: binary.path, line: 2, .notText)) {
            try TrainingSet(wordFile: binary.path)
        }
    }
}

/// A file in the temporary directory, removed when the value goes away.
final class TemporaryFile {
    let path: String

    init(bytes: [UInt8]) throws {
        path = NSTemporaryDirectory() + "wordmodel-test-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    convenience init(contents: String) throws {
        try self.init(bytes: Array(contents.utf8))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
