/// The provider's validation words, and a model's accuracy on them: the share of prefixes it completes to
/// the right word.
///
/// Each word gives the prefixes of the two samples training makes of it (`TrainingSet`): symbols 0-2,
/// and symbols 1-3. A prefix counts as right when `Predictor.complete` agrees with the word on every
/// symbol the word has after it: for "abo" of "about" the completion must be "about"; for "bou", the
/// completion's next symbol must be "t" (the word ends there).
public struct ValidationSet: Sendable, Equatable {
    /// The most words a list may hold: ample for a measure, and a small fraction of a frame.
    public static let maximumWords = 10_000

    /// The words, in the order given.
    public let words: [String]

    /// A list of `words`, each exactly five alphabet symbols (upper case folded), 1 to `maximumWords` of
    /// them; the error names the first bad word.
    public init(words: [String]) throws(WordModelError) {
        guard (1...Self.maximumWords).contains(words.count) else {
            throw .invalidSetting(name: "validation list of", value: "\(words.count) words", expected: "1 to \(Self.maximumWords) words")
        }
        for word in words { _ = try Alphabet.indices(of: word, as: .word) }
        self.words = words
    }

    /// How many prefixes the list measures: two per word.
    public var prefixCount: Int { 2 * words.count }

    /// How many of the list's prefixes the model with `weights` completes to the right word.
    public func score(of weights: ModelWeights) -> ValidationScore {
        var prefixes = [String]()
        prefixes.reserveCapacity(prefixCount)
        for word in words {
            let symbols = Array(word)
            prefixes.append(String(symbols[0..<3]))
            prefixes.append(String(symbols[1..<4]))
        }
        // Every prefix is three alphabet symbols of a checked word, so completing cannot fail.
        guard let completions = try? Predictor(weights: weights).complete(prefixes) else {
            return ValidationScore(correct: 0, total: prefixCount)
        }
        var correct = 0
        for (index, word) in words.enumerated() {
            // Completions are lower case; the alphabet's other symbols have no case.
            let expected = word.lowercased()
            // First prefix: the whole completion is the word.
            if completions[2 * index] == expected { correct += 1 }
            // Second prefix: its next symbol is the word's last.
            if completions[2 * index + 1].prefix(4) == expected.dropFirst() { correct += 1 }
        }
        return ValidationScore(correct: correct, total: prefixCount)
    }
}

/// How many prefixes of a validation list a model completed right, of how many.
public struct ValidationScore: Sendable, Equatable {
    /// The prefixes completed to the right word.
    public let correct: Int
    /// The prefixes measured (two per word).
    public let total: Int

    /// A score of `correct` out of `total` prefixes.
    public init(correct: Int, total: Int) {
        self.correct = correct
        self.total = total
    }

    /// The share right, from 0 to 1 (0 for an empty measure).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
