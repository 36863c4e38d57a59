import BLASKit
import ByteKit
import CommandSupport
import Foundation
import WordModel

/// Training speed at several batch sizes and prediction latency, single-threaded, on the five-letter
/// words of a system word list.
struct TrainSuite: BenchSuite {
    let name = "train"
    static let batchSizes = [1, 32, 256, 4096]

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        let words = try Self.fiveLetterWords(settings.words)
        let set = try TrainingSet(words: words)
        StandardError.line("train: \(words.count) five-letter words (\(set.count) samples) from \(settings.words)")
        BLAS.setThreadCount(1)
        StandardError.line("train: \(BLAS.configuration), \(BLAS.threadCount) thread")

        for batchSize in Self.batchSizes {
            let trainer = try Trainer(weights: ModelWeights(seed: 1), batchSize: batchSize)
            let secondsPerEpoch = try Measure.medianSecondsPerRepeat(settings) { epochs in
                try trainer.train(set, epochs: epochs)
            }
            let rate = Double(set.count) / secondsPerEpoch
            StandardError.line("train: batch \(batchSize): \(Int(rate)) samples/s")
            reporter.figure("samples_per_s", value: rate, unit: "samples/s", parameters: ["batch": batchSize])
        }

        let prefixes = words.map { String($0.prefix(3)) }
        let predictor = Predictor(weights: ModelWeights(seed: 1))
        let perPrefix = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats {
                for prefix in prefixes { _ = try predictor.complete(prefix) }
            }
        } / Double(prefixes.count)
        StandardError.line("train: predict: \(String(format: "%.3f", perPrefix * 1e6)) us per prefix, one at a time")
        reporter.figure("predict_us", value: perPrefix * 1e6, unit: "us/prefix")

        let batched = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = try predictor.complete(prefixes) }
        } / Double(prefixes.count)
        StandardError.line("train: predict: \(String(format: "%.3f", batched * 1e6)) us per prefix, \(predictor.batchCapacity) at a time")
        reporter.figure("predict_batched_us", value: batched * 1e6, unit: "us/prefix", parameters: ["batch": predictor.batchCapacity])
    }

    /// A system dictionary (wamerican-huge is ~3.5 MB) with room to spare.
    static let dictionarySize = FileSizeLimit(bytes: 32 << 20, kind: "a dictionary")

    /// The words of `path` that are exactly five lower-case letters a-z (no proper nouns, no possessives).
    static func fiveLetterWords(_ path: String) throws -> [String] {
        guard let text = try? FileBytes.readText(path, limit: dictionarySize) else {
            throw CommandFailure("cannot read the word list \(path) (Debian's wamerican installs /usr/share/dict/words)")
        }
        let words = text.split(whereSeparator: \.isNewline).filter { line in
            line.utf8.count == 5 && line.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        }.map(String.init)
        guard !words.isEmpty else { throw CommandFailure("\(path) has no five-letter lower-case words") }
        return words
    }
}
