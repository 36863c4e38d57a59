import Testing
import WordModel

@Suite struct AlphabetTests {
    @Test func symbolsAndIndices() {
        #expect(Alphabet.symbols.count == Alphabet.count)
        #expect(Alphabet.index(of: "a") == 0)
        #expect(Alphabet.index(of: "z") == 25)
        #expect(Alphabet.index(of: "-") == 26)
        #expect(Alphabet.index(of: " ") == 27)
        #expect(Alphabet.symbol(at: 26) == "-")
        #expect(Alphabet.symbol(at: 27) == " ")
        #expect(Alphabet.text(of: 0..<28) == Alphabet.symbols)
        #expect(!Alphabet.text(of: 0..<28).contains("{"))
    }

    @Test func upperCaseIsFolded() throws {
        #expect(Alphabet.index(of: "Q") == Alphabet.index(of: "q"))
        #expect(try Alphabet.indices(of: "AbOuT", as: .word) == [0, 1, 14, 20, 19])
        #expect(try Alphabet.indices(of: "a-b", as: .prefix) == [0, 26, 1])
    }

    @Test(arguments: ["{", "1", "é", "\t", "_", "A\u{301}"])
    func otherCharactersAreNotSymbols(_ text: String) {
        #expect(Alphabet.index(of: Character(text)) == nil)
    }

    @Test func badSymbolIsNamed() {
        #expect(throws: WordModelError.symbolNotInAlphabet("1", in: "ab1cd", kind: .word)) {
            try Alphabet.indices(of: "ab1cd", as: .word)
        }
        let error = WordModelError.symbolNotInAlphabet("1", in: "ab1cd", kind: .word)
        #expect(error.description == "word \"ab1cd\" has '1', which is not in the alphabet \"abcdefghijklmnopqrstuvwxyz- \" (a-z, '-' and space; upper case is folded)")
        #expect(WordModelError.symbolNotInAlphabet("\t", in: "a\tb", kind: .prefix).description.hasPrefix("prefix \"a\tb\" has control character 0x9,"))
    }

    @Test func wrongLengthsAreNamed() {
        #expect(throws: WordModelError.wrongLength("abou", kind: .word)) { try Alphabet.indices(of: "abou", as: .word) }
        #expect(throws: WordModelError.wrongLength("ab", kind: .prefix)) { try Alphabet.indices(of: "ab", as: .prefix) }
        #expect(throws: WordModelError.wrongLength("abou", kind: .prefix)) { try Alphabet.indices(of: "abou", as: .prefix) }
        #expect(throws: WordModelError.wrongLength("", kind: .prefix)) { try Alphabet.indices(of: "", as: .prefix) }
        #expect(WordModelError.wrongLength("abou", kind: .word).description == "word \"abou\" has 4 symbols, expected 5")
        #expect(WordModelError.wrongLength("a", kind: .prefix).description == "prefix \"a\" has 1 symbol, expected 3")
    }

    @Test func samplesValidateTheirIndices() throws {
        #expect(try Sample(prefix: "whi", next: "c") == Sample(inputs: [22, 7, 8], target: 2))
        #expect(try Sample(prefix: "whi", next: "c").text == "whi -> c")
        #expect(throws: WordModelError.symbolNotInAlphabet("1", in: "abo1", kind: .word)) { try Sample(prefix: "abo", next: "1") }
        #expect(throws: WordModelError.invalidSetting(name: "symbol index", value: "28", expected: "0..<28")) {
            try Sample(inputs: [0, 28, 1], target: 0)
        }
        #expect(throws: WordModelError.invalidSetting(name: "input count", value: "2", expected: "3")) {
            try Sample(inputs: [0, 1], target: 0)
        }
    }
}
