public import ByteKit

/// The samples to train on, in file order: each five-symbol word gives letters 0-2 -> 3, then 1-3 -> 4.
public struct TrainingSet: Sendable, Equatable {
    /// The samples, two per word.
    public let samples: [Sample]

    /// Samples from words, each exactly five alphabet symbols (upper case folded).
    public init(words: [String]) throws(WordModelError) {
        var samples = [Sample]()
        samples.reserveCapacity(2 * words.count)
        for word in words {
            let s = try Alphabet.indices(of: word, as: .word)
            samples.append(Sample(unchecked: s[0], s[1], s[2], target: s[3]))
            samples.append(Sample(unchecked: s[1], s[2], s[3], target: s[4]))
        }
        self.samples = samples
    }

    /// A training set of the given samples, in that order.
    public init(samples: [Sample]) {
        self.samples = samples
    }

    /// The largest word file read: 4 MiB, hundreds of thousands of words, far more than a run trains on.
    public static let maximumWordFileSize = FileSizeLimit(bytes: 4 << 20, kind: "a word list")

    /// Words from a word file: one per line, blank lines skipped; errors name the file and the line.
    ///
    /// A line is taken as it is (only a trailing carriage return is dropped), because space is one of the
    /// alphabet's symbols; a line of only spaces and tabs counts as blank.
    public static func words(inFile path: String) throws(WordModelError) -> [String] {
        // Split bytes, not Characters: "\r\n" is one Character, and a file may mix line ends.
        let bytes = try FileIO.read(path, limit: maximumWordFileSize)
        var words = [String]()
        for (number, rawLine) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let lineBytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            guard let line = String(validating: lineBytes, as: UTF8.self) else {
                throw .badLine(path: path, line: number + 1, .notText)
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            do {
                _ = try Alphabet.indices(of: line, as: .word)
            } catch {
                throw .badLine(path: path, line: number + 1, error)
            }
            words.append(line)
        }
        guard !words.isEmpty else { throw .noSamples(source: path) }
        return words
    }

    /// The training set of a word file (see `words(inFile:)`).
    public init(wordFile path: String) throws(WordModelError) {
        try self.init(words: Self.words(inFile: path))
    }

    /// How many samples there are.
    public var count: Int { samples.count }
}
