public import WordModel

/// The model a device predicts with: the blob it received from the runtime, decoded, and a predictor.
///
/// Not `Sendable`: its predictor keeps workspaces for one thread.
public final class DeviceModel {
    /// The lowercase hex SHA-256 of the blob.
    public let id: String
    /// The decoded model.
    public let model: Model
    /// The blob's size in bytes.
    public let size: Int
    private let predictor: Predictor

    /// The model in `blob`, whose id the runtime client already checked.
    public init(blob: [UInt8], id: String) throws(WordModelError) {
        model = try ModelBlob.decode(blob)
        self.id = id
        size = blob.count
        predictor = Predictor(weights: model.weights, batchCapacity: 64)
    }

    /// The first eight hex digits of the id.
    public var shortID: String { String(id.prefix(8)) }

    /// The five-letter completion of each three-letter prefix; an error names a bad prefix.
    public func complete(_ prefixes: [String]) throws(WordModelError) -> [String] {
        try predictor.complete(prefixes)
    }

    /// The completion of one prefix.
    public func complete(_ prefix: String) throws(WordModelError) -> String {
        try predictor.complete(prefix)
    }
}
