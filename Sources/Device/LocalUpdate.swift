public import WordModel

/// A model a device trained on its own words in FL mode: its update for `round`, ready to upload.
public struct LocalUpdate: Sendable {
    /// The round whose global model it started from.
    public let round: UInt64
    /// The trained model as a blob, as it is uploaded (its model's `samples` is the number of samples
    /// trained on).
    public let blob: ModelBlob
    /// The epochs trained.
    public let epochs: Int
    /// The mean loss of the last epoch.
    public let loss: Float

    /// The update of `round` made of `model`.
    public init(round: UInt64, model: Model, epochs: Int, loss: Float) {
        self.round = round
        blob = ModelBlob(model: model)
        self.epochs = epochs
        self.loss = loss
    }

    /// The first eight hex digits of the id.
    public var shortID: String { blob.shortID }

    /// The samples it was trained on.
    public var samples: UInt64 { blob.model.samples }
}
