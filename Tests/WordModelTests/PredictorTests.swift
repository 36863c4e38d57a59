import Testing
import WordModel

@Suite struct PredictorTests {
    @Test func batchedMatchesOneAtATime() throws {
        let predictor = Predictor(weights: ModelWeights(seed: 11), batchCapacity: 7)
        // More prefixes than one batch holds, with repeats and upper case.
        let prefixes = (0..<20).map { i in Alphabet.text(of: [i % 28, (i * 5) % 28, (i * 11 + 3) % 28]) } + ["ABO", "abo"]
        let batched = try predictor.complete(prefixes)
        #expect(batched == (try prefixes.map { try predictor.complete($0) }))
        #expect(batched.allSatisfy { $0.count == 5 && !$0.contains("{") })
        #expect(batched[20] == batched[21])
        #expect(batched[20].hasPrefix("abo"))
    }

    @Test func completionFollowsTheNetwork() throws {
        // Symbol 3 is the argmax for the prefix, symbol 4 the argmax for symbols 1-2 plus symbol 3.
        let weights = ModelWeights(seed: 12)
        let network = SimpleRNN(capacity: 1)
        network.forward(weights: weights, samples: [try Sample(inputs: [7, 4, 11], target: 0)])
        let third = network.prediction(sample: 0)
        network.forward(weights: weights, samples: [try Sample(inputs: [4, 11, third], target: 0)])
        let fourth = network.prediction(sample: 0)
        #expect(try Predictor(weights: weights).complete("hel") == "hel" + Alphabet.text(of: [third, fourth]))
    }

    @Test func badPrefixesAreNamed() throws {
        let predictor = Predictor(weights: .zero)
        #expect(throws: WordModelError.wrongLength("abou", kind: .prefix)) { try predictor.complete("abou") }
        #expect(throws: WordModelError.symbolNotInAlphabet("?", in: "a?c", kind: .prefix)) { try predictor.complete(["abc", "a?c"]) }
        // Zero weights give equal outputs; ties go to the first symbol.
        #expect(try predictor.complete("xyz") == "xyzaa")
    }
}
