import ArgumentParser
import Foundation
import WordModel

/// `cml-provider inspect`: what a model blob holds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model blob's architecture, id, round, samples, privacy spent (DP-FedAvg) and weight norms.")

    @Argument(help: ArgumentHelp("The model blob.", valueName: "MODEL"))
    var model: String

    func run() throws {
        let blob = try ModelFile.read(self.model)
        let model = blob.model
        print(self.model)
        print("  format        \(ModelBlob.format) version \(ModelBlob.version), \(blob.size) bytes")
        print("  id            \(blob.id)")
        print(
            "  architecture  \(ModelBlob.architecture): \(SimpleRNN.units) tanh units, \(SimpleRNN.steps) steps, "
                + "alphabet \"\(Alphabet.symbols)\" (\(Alphabet.count) symbols)")
        print("  round         \(model.round)")
        print("  samples       \(model.samples)")
        if let privacy = model.privacy { print("  privacy       \(privacy)") }
        print("  weights       \(ModelWeights.parameterCount) float32, L2 norms:")
        for (tensor, norm) in model.weights.norms {
            let name = tensor.key.padding(toLength: 17, withPad: " ", startingAt: 0)
            print("    \(name) \(tensor.shapeDescription.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%.6f", norm))")
        }
    }
}
