/// Why the word model refused some input; `description` names the input and what was expected.
public enum WordModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `text` holds `symbol`, which is not one of the 28 alphabet symbols.
    case symbolNotInAlphabet(Character, in: String, kind: TextKind)
    /// `text` does not have the number of symbols its kind needs.
    case wrongLength(String, kind: TextKind)
    /// A file could not be read or written.
    case fileFailed(path: String, reason: String)
    /// Bytes that are not UTF-8 text.
    case notText
    /// Line `line` (1-based) of the word file at `path` is bad.
    indirect case badLine(path: String, line: Int, WordModelError)
    /// The file at `path` holds something bad.
    indirect case badFile(path: String, WordModelError)
    /// There is nothing to train on.
    case noSamples(source: String)
    /// A training or prediction setting is out of range.
    case invalidSetting(name: String, value: String, expected: String)
    /// A model blob is malformed; the message names the key and what is wrong with it.
    case malformedBlob(String)
    /// Models cannot be aggregated as asked.
    case aggregation(String)
    /// Training made a weight NaN or infinite in epoch `epoch` (from 0): the learning rate is too high.
    case diverged(epoch: Int)

    /// The problem in words, naming the input, file, line or key.
    public var description: String {
        switch self {
        case .symbolNotInAlphabet(let symbol, let text, let kind):
            "\(kind.rawValue) \"\(text)\" has \(Self.quoted(symbol)), which is not in the alphabet "
                + "\"\(Alphabet.symbols)\" (a-z, '-' and space; upper case is folded)"
        case .wrongLength(let text, let kind):
            "\(kind.rawValue) \"\(text)\" has \(text.count) symbol\(text.count == 1 ? "" : "s"), expected \(kind.length)"
        case .fileFailed(let path, let reason):
            "\(path): \(reason)"
        case .notText:
            "not UTF-8 text"
        case .badFile(let path, let problem):
            "\(path): \(problem)"
        case .badLine(let path, let line, let problem):
            "\(path):\(line): \(problem)"
        case .noSamples(let source):
            "\(source) has no words to train on"
        case .invalidSetting(let name, let value, let expected):
            "\(name) \(value) is out of range, expected \(expected)"
        case .malformedBlob(let message), .aggregation(let message):
            message
        case .diverged(let epoch):
            "training diverged in epoch \(epoch): the weights are no longer finite numbers (lower the learning rate)"
        }
    }

    /// A symbol as the user would type it, with invisible ones spelled out.
    private static func quoted(_ symbol: Character) -> String {
        if let ascii = symbol.asciiValue, ascii < 0x20 || ascii == 0x7f {
            return "control character 0x\(String(ascii, radix: 16))"
        }
        return "'\(symbol)'"
    }
}
