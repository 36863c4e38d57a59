import Protocol
import WordModel

/// What the fl suite's federations do with their devices besides the round itself.
enum FLDevices {
    /// Connects devices 0 to `count` - 1 (`connect(index)`), 32 at a time.
    static func connect(count: Int, _ connect: @escaping @Sendable (_ index: Int) throws -> Void) throws {
        let workers = min(count, 32)
        try runConcurrently(workers, label: "fl connect") { worker in
            for index in stride(from: worker, to: count, by: workers) { try connect(index) }
        }
    }

    /// `count` updates of `round`: the global model `global`, each perturbed by its device's own noise
    /// (seeded by the round, so every run sends the same).
    static func updates(from global: Model, round: UInt64, count: Int) -> [ModelBlob] {
        var random = SeededGenerator(seed: round)
        return (0..<count).map { _ in
            var parameters = global.weights.parameters
            for index in parameters.indices { parameters[index] += Float(random.nextUniform(-0.01, 0.01)) }
            // Perturbing finite weights by at most 0.01 keeps them finite and the count right.
            let weights = (try? ModelWeights(parameters: parameters)) ?? global.weights
            return ModelBlob(model: Model(weights: weights, round: round, samples: 2))
        }
    }
}
