/// The 28 symbols the word model reads and writes: `a`-`z`, `-` and space.
///
/// Upper case is folded to lower case. Index 26 is `-`; the original example printed it as `{`
/// (the character after `z`), which is why this type, not arithmetic on code points, maps indices.
public enum Alphabet {
    /// The symbols in index order.
    public static let symbols = "abcdefghijklmnopqrstuvwxyz- "

    /// How many symbols there are (28).
    public static let count = 28

    /// Symbols in a training word.
    public static let wordLength = 5

    /// Symbols in a prefix to complete.
    public static let prefixLength = 3

    private static let characters = Array(symbols)

    /// The index of `symbol` (upper case folded), or nil if it is not in the alphabet.
    public static func index(of symbol: Character) -> Int? {
        guard let ascii = symbol.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(ascii - UInt8(ascii: "a"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(ascii - UInt8(ascii: "A"))
        case UInt8(ascii: "-"): return 26
        case UInt8(ascii: " "): return 27
        default: return nil
        }
    }

    /// The symbol at `index` (0..<28).
    public static func symbol(at index: Int) -> Character {
        characters[index]
    }

    /// The indices of every symbol of `text`, which must have exactly `length` symbols.
    public static func indices(of text: String, as kind: TextKind) throws(WordModelError) -> [Int] {
        var indices = [Int]()
        indices.reserveCapacity(kind.length)
        for symbol in text {
            guard let index = index(of: symbol) else {
                throw .symbolNotInAlphabet(symbol, in: text, kind: kind)
            }
            indices.append(index)
        }
        guard indices.count == kind.length else { throw .wrongLength(text, kind: kind) }
        return indices
    }

    /// The text for `indices` (each 0..<28).
    public static func text<Indices: Sequence<Int>>(of indices: Indices) -> String {
        String(indices.map(symbol(at:)))
    }
}

/// What a piece of text is meant to be, which fixes its length and names it in errors.
public enum TextKind: String, Sendable {
    /// A five-symbol training word.
    case word
    /// A three-symbol prefix to complete.
    case prefix

    /// How many symbols this kind of text has.
    public var length: Int {
        switch self {
        case .word: Alphabet.wordLength
        case .prefix: Alphabet.prefixLength
        }
    }
}
