public import Channel
public import WordModel

// `train`: in ML mode a device sends words, the runtime trains its current model on them and returns
// the result.

/// `{"type": "train", "words": [text]}`, from a device.
public struct TrainRequest: TypedMessage, Equatable {
    public static let type = "train"
    /// The five-letter words to train on.
    public let words: [String]

    /// A request to train on `words`.
    public init(words: [String]) {
        self.words = words
    }

    public init(fields message: Message) throws(ChannelError) {
        words = try message.textArray("words")
    }

    public var frame: Message { Message(type: Self.type, fields: ["words": .array(words.map { .text($0) })]) }
}

/// `{"type": "trained", "model": bstr, "id": text, "epochs": uint, "loss": float}`: the trained model,
/// which is the runtime's current model from now on. The blob is decoded and checked against its id as
/// the message is read.
public struct TrainedReply: TypedMessage, Equatable {
    public static let type = "trained"
    /// The trained model blob (its id travels as `id`).
    public let blob: ModelBlob
    /// How many epochs the runtime trained.
    public let epochs: UInt64
    /// The mean loss of the last epoch.
    public let loss: Double

    /// A reply carrying the trained `blob`.
    public init(blob: ModelBlob, epochs: UInt64, loss: Double) {
        self.blob = blob
        self.epochs = epochs
        self.loss = loss
    }

    public init(fields message: Message) throws(ChannelError) {
        blob = try message.labelledModel()
        epochs = try message.unsigned("epochs")
        loss = try message.double("loss")
    }

    public var frame: Message {
        Message(
            type: Self.type,
            fields: ["model": .bytes(blob.bytes), "id": .text(blob.id), "epochs": .unsigned(epochs), "loss": .float(loss)])
    }
}
