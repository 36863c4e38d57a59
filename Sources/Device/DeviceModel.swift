public import WordModel

/// The model a device predicts with: the blob it received from the runtime, and a predictor.
///
/// Not `Sendable`: its predictor keeps workspaces for one thread.
public final class DeviceModel {
    /// The blob, decoded and checked against its id as it arrived.
    public let blob: ModelBlob
    private let predictor: Predictor

    /// A predictor for the model in `blob`.
    public init(blob: ModelBlob) {
        self.blob = blob
        predictor = Predictor(weights: blob.model.weights, batchCapacity: 64)
    }

    /// The decoded model.
    public var model: Model { blob.model }

    /// The first eight hex digits of the id.
    public var shortID: String { blob.shortID }

    /// The blob's size in bytes.
    public var size: Int { blob.size }

    /// The five-letter completion of each three-letter prefix; an error names a bad prefix.
    public func complete(_ prefixes: [String]) throws(WordModelError) -> [String] {
        try predictor.complete(prefixes)
    }

    /// The completion of one prefix.
    public func complete(_ prefix: String) throws(WordModelError) -> String {
        try predictor.complete(prefix)
    }
}
