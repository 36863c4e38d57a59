import Testing
import WordModel

/// The validation list's accuracy is the share of its prefixes (two per word, as training's samples)
/// that `complete` carries to the right word; bad lists are refused naming the word.
@Suite struct ValidationSetTests {
    /// A model trained a little on some words: it gets some prefixes right and some wrong.
    static let weights: ModelWeights = {
        let trainer = try! Trainer(weights: ModelWeights(seed: 42))
        try! trainer.train(try! TrainingSet(words: ["about", "white", "there"]), epochs: 30)
        return trainer.weights
    }()

    @Test func theAccuracyIsTheShareOfPrefixesCompletedToTheRightWord() throws {
        let words = ["about", "white", "there", "which", "their", "ABOUT", "zebra"]
        let predictor = Predictor(weights: Self.weights)
        // By hand: "abo" of "about" must complete to "about"; "bou" must complete to "bout" and one more.
        var correct = 0
        for word in words.map({ $0.lowercased() }) {
            let symbols = Array(word)
            if try predictor.complete(String(symbols[0..<3])) == word { correct += 1 }
            if try predictor.complete(String(symbols[1..<4])).prefix(4) == word.dropFirst() { correct += 1 }
        }
        let score = try ValidationSet(words: words).score(of: Self.weights)
        #expect(score == ValidationScore(correct: correct, total: 14))
        #expect(score.accuracy == Double(correct) / 14)
        // Both outcomes occur, so the comparison above tells right from wrong.
        #expect(correct > 0 && correct < 14)
    }

    @Test func anUntrainedModelScoresWhatItsCompletionsSay() throws {
        // Zero weights complete every prefix with "aa" (ties go to the first symbol): of "aaaaa" both
        // prefixes are right, of "abaca" only the second ("bac" then "a"), of "quilt" none.
        let score = try ValidationSet(words: ["aaaaa", "abaca", "quilt"]).score(of: .zero)
        #expect(score == ValidationScore(correct: 3, total: 6))
        #expect(score.accuracy == 0.5)
    }

    @Test func aBadListIsRefusedNamingTheWord() throws {
        #expect(throws: WordModelError.symbolNotInAlphabet("1", in: "ab1cd", kind: .word)) { try ValidationSet(words: ["about", "ab1cd"]) }
        #expect(throws: WordModelError.wrongLength("abou", kind: .word)) { try ValidationSet(words: ["abou"]) }
        let empty = #expect(throws: WordModelError.self) { try ValidationSet(words: []) }
        #expect(empty?.description == "validation list of 0 words is out of range, expected 1 to 10000 words")
        let tooMany = #expect(throws: WordModelError.self) { try ValidationSet(words: Array(repeating: "about", count: 10_001)) }
        #expect(tooMany?.description == "validation list of 10001 words is out of range, expected 1 to 10000 words")
    }
}
