/// One training sample: three symbol indices and the index of the symbol that follows them.
public struct Sample: Sendable, Hashable {
    // Bytes keep a batch of samples dense; every value is below Alphabet.count by construction.
    let x0: UInt8
    let x1: UInt8
    let x2: UInt8
    let y: UInt8

    init(unchecked x0: Int, _ x1: Int, _ x2: Int, target: Int) {
        self.x0 = UInt8(x0)
        self.x1 = UInt8(x1)
        self.x2 = UInt8(x2)
        self.y = UInt8(target)
    }

    /// A sample from three input indices and a target index, each in 0..<28.
    public init(inputs: [Int], target: Int) throws(WordModelError) {
        guard inputs.count == Alphabet.prefixLength else {
            throw .invalidSetting(name: "input count", value: "\(inputs.count)", expected: "\(Alphabet.prefixLength)")
        }
        for index in inputs + [target] where !(0..<Alphabet.count).contains(index) {
            throw .invalidSetting(name: "symbol index", value: "\(index)", expected: "0..<\(Alphabet.count)")
        }
        self.init(unchecked: inputs[0], inputs[1], inputs[2], target: target)
    }

    /// A sample from a three-symbol prefix and the symbol that follows it.
    public init(prefix: String, next: Character) throws(WordModelError) {
        let inputs = try Alphabet.indices(of: prefix, as: .prefix)
        guard let target = Alphabet.index(of: next) else {
            throw .symbolNotInAlphabet(next, in: prefix + String(next), kind: .word)
        }
        self.init(unchecked: inputs[0], inputs[1], inputs[2], target: target)
    }

    /// The three input symbol indices.
    public var inputs: [Int] { [Int(x0), Int(x1), Int(x2)] }

    /// The index of the symbol to predict.
    public var target: Int { Int(y) }

    /// The sample as text, e.g. `whi -> c`.
    public var text: String { "\(Alphabet.text(of: inputs)) -> \(Alphabet.symbol(at: target))" }
}
