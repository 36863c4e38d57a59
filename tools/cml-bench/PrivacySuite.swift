import ByteKit
import CommandSupport
import Foundation
import Privacy
import WordModel

/// What DP-FedAvg costs in accuracy (docs/privacy.md, "What it costs in accuracy"): a federation of
/// `devices` simulated devices in this process, each holding `wordsPerDevice` five-letter words of the
/// word list, runs `rounds` rounds of plain FedAvg and of DP-FedAvg at several noise multipliers, with the
/// same Poisson sampling, and reports after each round the validation accuracy (the share of held-out
/// words whose three-letter prefix the global model completes to the word) and the epsilon spent.
///
/// Reproducible: the split, the devices' words, the sampling and local training are seeded; only the
/// DP noise comes from the CSPRNG (as in the runtime), so DP figures vary slightly between runs.
struct PrivacySuite: BenchSuite {
    let name = "privacy"
    static let devices = 1000
    static let wordsPerDevice = 3
    static let validationWords = 500
    static let rounds = 100
    static let samplingRate = 0.1
    static let localEpochs = 20
    static let delta = 1e-5
    /// Z = 0 is plain FedAvg (no clipping, no noise) over the same sampled devices.
    static let noiseMultipliers = [0, 0.7, 1.0, 2.0, 5.0, 10.0]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        var random = SeededGenerator(seed: 2018)
        var words = try TrainSuite.fiveLetterWords(settings.words)
        random.shuffle(&words)
        guard words.count > Self.validationWords + Self.wordsPerDevice else {
            throw CommandFailure("\(settings.words) has \(words.count) five-letter words; the privacy suite needs more than \(Self.validationWords + Self.wordsPerDevice)")
        }
        let validation = Array(words.prefix(Self.validationWords))
        let pool = Array(words.dropFirst(Self.validationWords))
        // Each device holds a few distinct words; with more devices than words they repeat across devices.
        let devices = try (0..<Self.devices).map { device in
            try TrainingSet(words: (0..<Self.wordsPerDevice).map { pool[(device * Self.wordsPerDevice + $0) % pool.count] })
        }
        StandardError.line(
            "privacy: \(Self.devices) devices of \(Self.wordsPerDevice) words (from \(pool.count) five-letter words of \(settings.words)), "
                + "\(validation.count) held-out words, \(Self.rounds) rounds, sampling rate \(Self.samplingRate), \(Self.localEpochs) local epochs")
        let initial = ModelWeights(seed: 1)
        let clipNorm = try Self.medianUpdateNorm(devices: Array(devices.prefix(50)), from: initial)
        StandardError.line("privacy: clip norm C = \(String(format: "%.3f", clipNorm)), the median update norm of 50 devices in round 0")
        var curves: [(label: String, accuracy: [Double])] = []
        for z in Self.noiseMultipliers {
            let privacy = PrivacySettings(
                clipNorm: clipNorm, noiseMultiplier: max(z, 0.01), samplingRate: Self.samplingRate,
                expectedUpdates: Self.samplingRate * Double(Self.devices), delta: Self.delta, maxEpsilon: 1e9)
            let rule: any AggregationRule = z == 0 ? FedAvg() : try DPFedAvg(settings: privacy)
            let accountant = try privacy.accountant()
            var sampling = SeededGenerator(seed: 7)
            var global = initial
            var accuracy: [Double] = []
            for round in 1...Self.rounds {
                let sampled = devices.indices.filter { _ in Double.random(in: 0..<1, using: &sampling) < Self.samplingRate }
                var updates: [ModelWeights] = []
                var weights: [Double] = []
                for index in sampled {
                    let trainer = try Trainer(weights: global)
                    try trainer.train(devices[index], epochs: Self.localEpochs, shuffleSeed: UInt64(round * Self.devices + index))
                    updates.append(trainer.weights)
                    weights.append(Double(devices[index].count))
                }
                if !updates.isEmpty { global = try rule.aggregate(updates, weights: weights, global: global) }
                let share = try Self.accuracy(of: global, on: validation)
                accuracy.append(share)
                let epsilon = z == 0 ? Double.infinity : try accountant.epsilon(rounds: round, delta: Self.delta).epsilon
                reporter.figure("accuracy", value: share, unit: "share", parameters: ["noise_x100": Int((z * 100).rounded()), "round": round])
                if z != 0 {
                    reporter.figure("epsilon", value: epsilon, unit: "epsilon", parameters: ["noise_x100": Int((z * 100).rounded()), "round": round])
                }
            }
            let label = z == 0 ? "FedAvg, no DP" : "DP-FedAvg Z=\(z), eps \(String(format: "%.2f", try accountant.epsilon(rounds: Self.rounds, delta: Self.delta).epsilon))"
            StandardError.line("privacy: \(label): validation accuracy \(String(format: "%.3f", accuracy.last ?? 0)) after \(Self.rounds) rounds")
            curves.append((label, accuracy))
        }
        if let chart = settings.chart {
            try PrivacyChart(title: "Validation accuracy per round, \(Self.devices) devices, Q = \(Self.samplingRate), delta = \(Self.delta)", curves: curves)
                .write(to: chart)
            StandardError.line("privacy: wrote the chart to \(chart)")
        }
    }

    /// The median distance a device's local training moves the model from `initial`.
    static func medianUpdateNorm(devices: [TrainingSet], from initial: ModelWeights) throws -> Double {
        let norms = try devices.enumerated().map { index, set in
            let trainer = try Trainer(weights: initial)
            try trainer.train(set, epochs: localEpochs, shuffleSeed: UInt64(index))
            return trainer.weights.distance(to: initial)
        }.sorted()
        return norms[norms.count / 2]
    }

    /// The share of `words` whose first three letters `weights` completes to the word.
    static func accuracy(of weights: ModelWeights, on words: [String]) throws -> Double {
        let completed = try Predictor(weights: weights).complete(words.map { String($0.prefix(3)) })
        return Double(zip(completed, words).filter { $0 == $1 }.count) / Double(words.count)
    }
}

/// A line chart of accuracy per round, as a small self-contained SVG.
struct PrivacyChart {
    let title: String
    let curves: [(label: String, accuracy: [Double])]

    func write(to path: String) throws {
        let (width, height, left, top, plotWidth, plotHeight) = (720.0, 420.0, 60.0, 40.0, 440.0, 320.0)
        let rounds = max(1, curves.map(\.accuracy.count).max() ?? 1)
        let top_ = max(0.05, (curves.flatMap(\.accuracy).max() ?? 0.05) * 1.1)
        let colors = ["#000000", "#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd"]
        func x(_ round: Int) -> Double { left + plotWidth * Double(round) / Double(rounds) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / top_) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="24" font-size="14">\(title)</text>
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(left + plotWidth)" y2="\(top + plotHeight)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotHeight)" stroke="black"/>
            <text x="\(left + plotWidth / 2 - 20)" y="\(top + plotHeight + 34)">round</text>
            <text x="12" y="\(top + plotHeight / 2)" transform="rotate(-90 12 \(top + plotHeight / 2))">accuracy</text>

            """
        for step in 0...4 {
            let value = top_ * Double(step) / 4
            svg += "<text x=\"\(left - 44)\" y=\"\(y(value) + 4)\">\(String(format: "%.3f", value))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y(value))\" x2=\"\(left + plotWidth)\" y2=\"\(y(value))\" stroke=\"#dddddd\"/>\n"
            let round = rounds * step / 4
            svg += "<text x=\"\(x(round) - 6)\" y=\"\(top + plotHeight + 18)\">\(round)</text>\n"
        }
        for (index, curve) in curves.enumerated() {
            let color = colors[index % colors.count]
            let points = ([(0, 0.0)] + curve.accuracy.enumerated().map { ($0.offset + 1, $0.element) }).dropFirst()
                .map { "\(String(format: "%.1f", x($0.0))),\(String(format: "%.1f", y($0.1)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let legendY = top + 20 * Double(index)
            svg += "<line x1=\"\(left + plotWidth + 16)\" y1=\"\(legendY)\" x2=\"\(left + plotWidth + 36)\" y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(left + plotWidth + 40)\" y=\"\(legendY + 4)\">\(curve.label)</text>\n"
        }
        svg += "</svg>\n"
        do {
            try FileBytes.writeAtomically(text: svg, to: path)
        } catch {
            throw CommandFailure("cannot write the chart \(path): \(error)")
        }
    }
}
