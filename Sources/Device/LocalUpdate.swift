public import WordModel

/// A model a device trained on its own words in FL mode: its update for `round`, ready to upload.
public struct LocalUpdate: Sendable {
    /// The round whose global model it started from.
    public let round: UInt64
    /// The trained model (its `samples` is the number of samples trained on).
    public let model: Model
    /// The model as a blob, as it is uploaded.
    public let blob: [UInt8]
    /// The lowercase hex SHA-256 of `blob`.
    public let id: String
    /// The epochs trained.
    public let epochs: Int
    /// The mean loss of the last epoch.
    public let loss: Float

    /// The update of `round` made of `model`.
    public init(round: UInt64, model: Model, epochs: Int, loss: Float) {
        self.round = round
        self.model = model
        blob = ModelBlob.encode(model)
        id = ModelBlob.id(of: blob)
        self.epochs = epochs
        self.loss = loss
    }

    /// The first eight hex digits of the id.
    public var shortID: String { String(id.prefix(8)) }

    /// The samples it was trained on.
    public var samples: UInt64 { model.samples }
}
