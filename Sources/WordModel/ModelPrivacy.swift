import CBORKit

/// The privacy a global model's release had spent, as its blob records it (the optional `privacy` map
/// of docs/model-format.md): the (epsilon, delta) after `rounds` rounds of DP-FedAvg with noise
/// multiplier Z, sampling rate Q and clip norm C, so that whoever holds the model can see it.
public struct ModelPrivacy: Sendable, Equatable, CustomStringConvertible {
    /// The epsilon spent up to and including this model.
    public let epsilon: Double
    /// The delta it holds at.
    public let delta: Double
    /// The rounds released under DP-FedAvg up to this model.
    public let rounds: UInt64
    /// Z.
    public let noiseMultiplier: Double
    /// Q.
    public let samplingRate: Double
    /// C.
    public let clipNorm: Double

    /// A record of these values.
    public init(epsilon: Double, delta: Double, rounds: UInt64, noiseMultiplier: Double, samplingRate: Double, clipNorm: Double) {
        self.epsilon = epsilon
        self.delta = delta
        self.rounds = rounds
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.clipNorm = clipNorm
    }

    /// "epsilon 1.2 at delta 1e-05 after 3 rounds (noise multiplier 1.0, sampling rate 0.1, clip norm 5.0)".
    public var description: String {
        "epsilon \(epsilon) at delta \(delta) after \(rounds) round\(rounds == 1 ? "" : "s") "
            + "(noise multiplier \(noiseMultiplier), sampling rate \(samplingRate), clip norm \(clipNorm))"
    }

    /// The blob's `privacy` map.
    var cbor: CBORValue {
        .map([
            "epsilon": .float(epsilon), "delta": .float(delta), "rounds": .unsigned(rounds),
            "noise-multiplier": .float(noiseMultiplier), "sampling-rate": .float(samplingRate), "clip-norm": .float(clipNorm),
        ])
    }

    /// The record in a blob's `privacy` value; throws naming the key that is wrong.
    init(cbor value: CBORValue) throws(WordModelError) {
        guard let map = value.map else { throw .malformedBlob("key \"privacy\" is a CBOR \(value.typeName), expected a map") }
        func number(_ key: String) throws(WordModelError) -> Double {
            guard let field = map[text: key] else { throw .malformedBlob("key \"privacy\" has no \"\(key)\"") }
            // A whole number may come as an integer from other encoders.
            let number: Double? = if case .float(let number) = field { number } else { field.uint64.map(Double.init) }
            guard let number, number.isFinite, number >= 0 else {
                throw .malformedBlob("key \"privacy\" has \"\(key)\" that is not a finite number of at least 0")
            }
            return number
        }
        guard let rounds = map[text: "rounds"]?.uint64 else {
            throw .malformedBlob("key \"privacy\" has no \"rounds\" that is an unsigned integer")
        }
        self.init(
            epsilon: try number("epsilon"), delta: try number("delta"), rounds: rounds, noiseMultiplier: try number("noise-multiplier"),
            samplingRate: try number("sampling-rate"), clipNorm: try number("clip-norm"))
    }
}
