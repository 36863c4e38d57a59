public import ByteKit
import CBORKit
import OpenSSLKit

/// The model blob of DESIGN.md: a CBOR map with text keys carrying the format, the architecture,
/// the three tensors (float32 little-endian, row-major, Keras layout), the round and the sample count,
/// and for a model DP-FedAvg released, the privacy spent up to it (`ModelPrivacy`).
///
/// Decoding checks every field and names the key that is wrong; unknown keys are ignored so later
/// versions can add fields.
///
/// A value is the one carrier of a model between the roles: the exact bytes, the decoded model and the
/// id. It is checked once, when it is made, and its id computed once, so whoever holds one neither
/// decodes nor hashes the blob again.
public struct ModelBlob: Sendable, Equatable {
    /// The blob, byte for byte as received or encoded.
    public let bytes: [UInt8]
    /// The lowercase hex SHA-256 of `bytes`.
    public let id: String
    /// The model the blob holds.
    public let model: Model

    /// The blob `bytes`, decoded; an error names what is wrong (see `decode`).
    public init(bytes: [UInt8]) throws(WordModelError) {
        model = try Self.decode(bytes)
        self.bytes = bytes
        id = Self.id(of: bytes)
    }

    /// The blob of `model`.
    public init(model: Model) {
        self.model = model
        bytes = Self.encode(model)
        id = Self.id(of: bytes)
    }

    /// The first eight hex digits of the id, for logs and transcripts.
    public var shortID: String { String(id.prefix(8)) }

    /// The blob's size in bytes.
    public var size: Int { bytes.count }

    /// Two blobs are the same if their bytes are (the model and the id follow from them).
    public static func == (lhs: ModelBlob, rhs: ModelBlob) -> Bool {
        lhs.bytes == rhs.bytes
    }

    /// The `format` value.
    public static let format = "cml-model"
    /// The `version` value this code reads and writes.
    public static let version: UInt64 = 1
    /// The `architecture` value.
    public static let architecture = "simple-rnn"
    /// The highest round a blob may carry: 2^53 - 1, the largest integer every JSON reader holds exactly.
    /// Decoding refuses a higher one, so `round + 1` never overflows anywhere a blob's round is used;
    /// a model takes a round per training or federated round, so no honest model comes near it.
    public static let maximumRound: UInt64 = 1 << 53 - 1

    /// Throws unless `round` is at most `maximumRound`: for a blob's round, and a round a peer states
    /// beside one (a runtime's model reply), since devices count on from it.
    public static func checkRound(_ round: UInt64) throws(WordModelError) {
        guard round <= maximumRound else {
            throw .malformedBlob("key \"round\" is \(round), over the maximum round \(maximumRound)")
        }
    }

    /// The round after `round`, for a model trained from one of that round; refuses to pass
    /// `maximumRound`, so the next blob decodes too.
    public static func nextRound(after round: UInt64) throws(WordModelError) -> UInt64 {
        guard round < maximumRound else {
            throw .malformedBlob("key \"round\" is \(round), the maximum round (\(maximumRound)); a model of it cannot be trained further")
        }
        return round + 1
    }

    /// The largest blob file read: 1 MiB, the frame limit a blob travels in (a blob is ~4 KB).
    public static let maximumFileSize = FileSizeLimit(bytes: 1 << 20, kind: "a model blob")

    /// The blob of `model`; the same model always gives the same bytes (deterministic CBOR).
    public static func encode(_ model: Model) -> [UInt8] {
        var map: CBORMap = [
            "format": .text(format),
            "version": .unsigned(version),
            "architecture": .text(architecture),
            "alphabet": .text(Alphabet.symbols),
            "steps": .unsigned(UInt64(SimpleRNN.steps)),
            "units": .unsigned(UInt64(SimpleRNN.units)),
            "round": .unsigned(model.round),
            "samples": .unsigned(model.samples),
        ]
        for tensor in Tensor.allCases {
            map[text: tensor.key] = .bytes(littleEndianBytes(model.weights[tensor]))
        }
        // Only when there is one, so blobs without DP keep their bytes and ids.
        if let privacy = model.privacy { map[text: "privacy"] = privacy.cbor }
        return CBOREncoder.encode(.map(map))
    }

    /// The model in `blob`, or an error naming what is wrong: not CBOR, truncated, a missing key,
    /// an unknown format or version, a tensor of the wrong size, a NaN or infinite weight, a round over
    /// `maximumRound`.
    public static func decode(_ blob: [UInt8]) throws(WordModelError) -> Model {
        guard let first = blob.first else { throw .malformedBlob("model blob is empty") }
        // A blob starts with a map head (major type 5); anything else is some other file, and calling it
        // truncated CBOR (as a decoder would for most text) would mislead.
        guard first >> 5 == 5 else {
            if let value = try? CBORDecoder().decode(blob) {
                throw .malformedBlob("not a model blob: a CBOR \(value.typeName), expected a map")
            }
            throw .malformedBlob("not a model blob: not CBOR, or not a CBOR map (it starts with byte 0x\(Hex.encode([first])))")
        }
        let value: CBORValue
        do {
            value = try CBORDecoder().decode(blob)
        } catch {
            if error.code == .truncated {
                throw .malformedBlob("model blob is truncated (\(blob.count) bytes; \(error.message))")
            }
            throw .malformedBlob("not a model blob: not CBOR (\(error.message))")
        }
        guard let map = value.map else {
            throw .malformedBlob("not a model blob: a CBOR \(value.typeName), expected a map")
        }
        let fields = Fields(map: map)
        let format = try fields.text("format")
        guard format == Self.format else {
            throw .malformedBlob("unknown format \"\(format)\", expected \"\(Self.format)\"")
        }
        let version = try fields.unsigned("version")
        guard version == Self.version else {
            throw .malformedBlob("unsupported version \(version) of \(Self.format), expected \(Self.version)")
        }
        try fields.expect("architecture", text: architecture)
        try fields.expect("alphabet", text: Alphabet.symbols)
        try fields.expect("steps", unsigned: UInt64(SimpleRNN.steps))
        try fields.expect("units", unsigned: UInt64(SimpleRNN.units))
        var parameters = [Float]()
        parameters.reserveCapacity(ModelWeights.parameterCount)
        for tensor in Tensor.allCases {
            parameters += try fields.tensor(tensor)
        }
        let round = try fields.unsigned("round")
        try checkRound(round)
        // Optional: blobs from before DP-FedAvg, and models not released under it, have none.
        let privacy = try fields.map[text: "privacy"].map { (value) throws(WordModelError) in try ModelPrivacy(cbor: value) }
        return Model(weights: ModelWeights(unchecked: parameters), round: round, samples: try fields.unsigned("samples"), privacy: privacy)
    }

    /// The model id: the hex SHA-256 of the blob.
    public static func id(of blob: [UInt8]) -> String {
        Hex.encode(Digest.sha256.hash(blob))
    }

    /// The first eight hex digits of the id, for logs and transcripts.
    public static func shortID(of blob: [UInt8]) -> String {
        String(id(of: blob).prefix(8))
    }

    private static func littleEndianBytes(_ values: ArraySlice<Float>) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        return bytes
    }

    /// Typed access to the blob's keys, with errors that name the key.
    private struct Fields {
        let map: CBORMap

        func value(_ key: String) throws(WordModelError) -> CBORValue {
            guard let value = map[text: key] else { throw .malformedBlob("missing key \"\(key)\"") }
            return value
        }

        func text(_ key: String) throws(WordModelError) -> String {
            let value = try value(key)
            guard let text = value.text else { throw wrongType(key, value, expected: "a text string") }
            return text
        }

        func unsigned(_ key: String) throws(WordModelError) -> UInt64 {
            let value = try value(key)
            guard let number = value.uint64 else { throw wrongType(key, value, expected: "an unsigned integer") }
            return number
        }

        func expect(_ key: String, text expected: String) throws(WordModelError) {
            let actual = try text(key)
            guard actual == expected else {
                throw .malformedBlob("key \"\(key)\" is \"\(actual)\", expected \"\(expected)\"")
            }
        }

        func expect(_ key: String, unsigned expected: UInt64) throws(WordModelError) {
            let actual = try unsigned(key)
            guard actual == expected else { throw .malformedBlob("key \"\(key)\" is \(actual), expected \(expected)") }
        }

        func tensor(_ tensor: Tensor) throws(WordModelError) -> [Float] {
            let value = try value(tensor.key)
            guard let bytes = value.bytes else { throw wrongType(tensor.key, value, expected: "a byte string") }
            let expected = tensor.count * MemoryLayout<Float>.size
            guard bytes.count == expected else {
                throw .malformedBlob(
                    "tensor \"\(tensor.key)\" has \(bytes.count) bytes, expected \(expected) (\(tensor.shapeDescription))")
            }
            let values = bytes.withUnsafeBytes { raw in
                (0..<tensor.count).map { index in
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                }
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                let position = tensor == .bias ? "[\(bad)]" : "[\(bad / tensor.shape.columns)][\(bad % tensor.shape.columns)]"
                throw .malformedBlob("tensor \"\(tensor.key)\" holds \(values[bad].isNaN ? "NaN" : "\(values[bad])") at \(position)")
            }
            return values
        }

        private func wrongType(_ key: String, _ value: CBORValue, expected: String) -> WordModelError {
            .malformedBlob("key \"\(key)\" is a CBOR \(value.typeName), expected \(expected)")
        }
    }
}
