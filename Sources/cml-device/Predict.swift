import ArgumentParser
import WordModel

/// `cml-device predict`: completes prefixes with a model, one word per line.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Complete three-letter prefixes to five-letter words, one per line.")

    @Option(help: ArgumentHelp("The model blob.", valueName: "MODEL"))
    var model: String

    @Argument(help: ArgumentHelp("Three symbols each: a-z, '-' or space (upper case is folded).", valueName: "PREFIX"))
    var prefixes: [String]

    func validate() throws {
        guard !prefixes.isEmpty else { throw ValidationError("give at least one PREFIX to complete") }
        for prefix in prefixes {
            do {
                _ = try Alphabet.indices(of: prefix, as: .prefix)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() throws {
        let predictor = Predictor(weights: try ModelFile.read(model).model.weights)
        for word in try predictor.complete(prefixes) { print(word) }
    }
}
